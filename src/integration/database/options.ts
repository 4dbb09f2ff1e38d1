import { ConfigError } from '../errors/internal.js';

/** How hard SQLite syncs to disk on commit; see docs/database.md for the trade-off. */
export type SqliteSynchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

/** Settings that apply only to the embedded SQLite backend. */
export interface SqliteSettings {
  /**
   * `FULL` (default) survives power loss; `NORMAL` in WAL mode may lose the last commits on power loss, never on a
   * process crash.
   */
  readonly synchronous?: SqliteSynchronous;
  /**
   * How long one statement waits for another process's write lock before SQLITE_BUSY. Blocks the event loop while it
   * waits.
   */
  readonly busyTimeoutMs?: number;
  /** Prepared statements kept per connection, keyed by SQL text. 0 turns the cache off. */
  readonly statementCacheSize?: number;
  /**
   * Group commit (on by default): write transactions that wait while another runs share one commit and one flush, each
   * in its own savepoint. `maxSize` caps a group (default 64); `false` gives every transaction its own commit.
   */
  readonly groupCommit?: false | { readonly maxSize?: number };
  /**
   * Who copies the WAL back into a database file: `background` (default), a worker thread with a connection of its
   * own, off the event loop; `inline`, SQLite's automatic checkpoint inside the commit that passes 1,000 pages.
   */
  readonly checkpoint?: 'background' | 'inline';
}

/** Settings that apply only to the PostgreSQL backend. */
export interface PostgresSettings {
  /** Schema every connection uses (`search_path`); created when missing. */
  readonly schema?: string;
  readonly pool?: {
    /** Most connections open at once. */
    readonly max?: number;
    /** Close a connection idle this long. */
    readonly idleTimeoutMs?: number;
    /** How long a statement waits for a connection (a free one from the pool, or a new one) before it fails. */
    readonly connectTimeoutMs?: number;
  };
}

/** Bounds for retrying a transaction that lost a race (serialization failure, deadlock, busy). */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** What `onQuery` receives for each statement, including BEGIN and COMMIT. */
export interface QueryEvent {
  readonly sql: string;
  readonly durationMs: number;
  readonly error?: unknown;
}

/** The part of a logger the database layer writes to (pino fits). */
export interface DatabaseLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** Everything `createDatabase` accepts; only `url` is required. */
export interface DatabaseOptions {
  /** `sqlite:./data/weft.db`, `sqlite::memory:`, or `postgres://user@host:5432/db`. */
  readonly url: string;
  readonly sqlite?: SqliteSettings;
  readonly postgres?: PostgresSettings;
  readonly retry?: Partial<RetryPolicy>;
  /** Called after each statement; keep it cheap, it runs on the query path. */
  readonly onQuery?: (event: QueryEvent) => void;
  /** Where failures that cannot reach a caller go (an `afterCommit` callback that threw, an idle connection lost). */
  readonly logger?: DatabaseLogger;
  /**
   * Transactions (durable publishes outside one included) that may wait for a connection at once; past it a new one is
   * refused at once with UnavailableError `WEFT_OVERLOADED` (HTTP 503), so callers that do not await cannot pile up
   * unbounded memory. Default 10,000.
   */
  readonly maxWaitingTransactions?: number;
}

/** The SQLite target after parsing and defaults. */
export interface ResolvedSqlite {
  readonly kind: 'sqlite';
  readonly filename: string;
  readonly synchronous: SqliteSynchronous;
  readonly busyTimeoutMs: number;
  readonly statementCacheSize: number;
  readonly groupCommit: false | { readonly maxSize: number };
  readonly checkpoint: 'background' | 'inline';
}

/** The PostgreSQL target after parsing and defaults. */
export interface ResolvedPostgres {
  readonly kind: 'postgres';
  readonly connectionString: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly schema: string | undefined;
  readonly poolMax: number;
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

export type ResolvedTarget = ResolvedSqlite | ResolvedPostgres;

const ACCEPTED_FORMS = '"sqlite:<path>", "sqlite::memory:" or "postgres://user[:password]@host[:port]/database"';

/** Members of one commit group unless set: past a few dozen, one more member saves less than the wait it adds. */
export const DEFAULT_GROUP_COMMIT_MAX_SIZE = 64;

/** About 60 MB of waiting durable publishes at their measured ~6 KB each. */
export const DEFAULT_MAX_WAITING_TRANSACTIONS = 10_000;

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 250 };

/** Parses and checks `createDatabase` input; any wrong setting is a ConfigError naming it. */
export function resolveOptions(input: string | DatabaseOptions): {
  target: ResolvedTarget;
  retry: RetryPolicy;
  maxWaitingTransactions: number;
} {
  const options: DatabaseOptions = typeof input === 'string' ? { url: input } : input;
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(
      `Database options must be a URL string or an object with "url"; received ${describe(options)}.`,
    );
  }
  assertKnownKeys(
    options,
    ['url', 'sqlite', 'postgres', 'retry', 'onQuery', 'logger', 'maxWaitingTransactions'],
    'database options',
  );
  if (typeof options.url !== 'string' || options.url.length === 0) {
    throw new ConfigError(`Database "url" must be one of ${ACCEPTED_FORMS}; received ${describe(options.url)}.`);
  }
  return {
    target: resolveTarget(options),
    retry: resolveRetry(options.retry),
    maxWaitingTransactions: integerSetting(
      'maxWaitingTransactions',
      options.maxWaitingTransactions,
      DEFAULT_MAX_WAITING_TRANSACTIONS,
      1,
    ),
  };
}

function resolveTarget(options: DatabaseOptions): ResolvedTarget {
  const { url } = options;
  if (url.startsWith('sqlite:')) {
    if (options.postgres !== undefined)
      throw new ConfigError('Setting "postgres" was given with a sqlite: URL; remove it or use a postgres:// URL.');
    return resolveSqlite(url.slice('sqlite:'.length), options.sqlite ?? {});
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    if (options.sqlite !== undefined)
      throw new ConfigError('Setting "sqlite" was given with a postgres:// URL; remove it or use a sqlite: URL.');
    return resolvePostgres(url, options.postgres ?? {});
  }
  throw new ConfigError(`Database URL ${JSON.stringify(redactUrl(url))} is not supported; use ${ACCEPTED_FORMS}.`);
}

function resolveSqlite(path: string, settings: SqliteSettings): ResolvedSqlite {
  assertKnownKeys(
    settings,
    ['synchronous', 'busyTimeoutMs', 'statementCacheSize', 'groupCommit', 'checkpoint'],
    'sqlite',
  );
  const filename = path.startsWith('//') ? path.slice(2) : path;
  if (filename.length === 0) {
    throw new ConfigError(`Database URL "sqlite:" names no file; use ${ACCEPTED_FORMS}.`);
  }
  const synchronous = settings.synchronous ?? 'FULL';
  if (!['OFF', 'NORMAL', 'FULL', 'EXTRA'].includes(synchronous)) {
    throw new ConfigError(
      `Setting "sqlite.synchronous" must be one of OFF, NORMAL, FULL, EXTRA; received ${describe(synchronous)}.`,
    );
  }
  return {
    kind: 'sqlite',
    filename,
    synchronous,
    busyTimeoutMs: integerSetting('sqlite.busyTimeoutMs', settings.busyTimeoutMs, 1000, 0),
    statementCacheSize: integerSetting('sqlite.statementCacheSize', settings.statementCacheSize, 256, 0),
    groupCommit: resolveGroupCommit(settings.groupCommit),
    checkpoint: resolveCheckpoint(settings.checkpoint),
  };
}

function resolveCheckpoint(value: unknown): ResolvedSqlite['checkpoint'] {
  if (value === undefined) return 'background';
  if (value === 'background' || value === 'inline') return value;
  throw new ConfigError(`Setting "sqlite.checkpoint" must be "background" or "inline"; received ${describe(value)}.`);
}

function resolveGroupCommit(value: unknown): ResolvedSqlite['groupCommit'] {
  if (value === false) return false;
  if (value === undefined) return { maxSize: DEFAULT_GROUP_COMMIT_MAX_SIZE };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      `Setting "sqlite.groupCommit" must be false or an object such as { maxSize: 64 }; received ${describe(value)}.`,
    );
  }
  assertKnownKeys(value, ['maxSize'], 'sqlite.groupCommit');
  const { maxSize } = value as { maxSize?: unknown };
  return { maxSize: integerSetting('sqlite.groupCommit.maxSize', maxSize, DEFAULT_GROUP_COMMIT_MAX_SIZE, 2) };
}

function resolvePostgres(url: string, settings: PostgresSettings): ResolvedPostgres {
  assertKnownKeys(settings, ['schema', 'pool'], 'postgres');
  assertKnownKeys(settings.pool ?? {}, ['max', 'idleTimeoutMs', 'connectTimeoutMs'], 'postgres.pool');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConfigError(`Database URL ${JSON.stringify(redactUrl(url))} is not a valid URL; use ${ACCEPTED_FORMS}.`, {
      cause,
    });
  }
  assertUrlParameters(parsed.searchParams);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (parsed.hostname.length === 0 || database.length === 0) {
    throw new ConfigError(
      `Database URL ${JSON.stringify(redactUrl(url))} must name a host and a database; use ${ACCEPTED_FORMS}.`,
    );
  }
  const schema = settings.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError(
      `Setting "postgres.schema" must be a lower-case identifier (a-z, 0-9, _); received ${describe(schema)}.`,
    );
  }
  return {
    kind: 'postgres',
    connectionString: url,
    host: parsed.hostname,
    port: parsed.port === '' ? 5432 : Number(parsed.port),
    database,
    user: decodeURIComponent(parsed.username) || 'postgres',
    schema,
    poolMax: integerSetting('postgres.pool.max', settings.pool?.max, 10, 1),
    idleTimeoutMs: integerSetting('postgres.pool.idleTimeoutMs', settings.pool?.idleTimeoutMs, 30_000, 0),
    connectTimeoutMs: integerSetting('postgres.pool.connectTimeoutMs', settings.pool?.connectTimeoutMs, 5_000, 1),
  };
}

/**
 * The query parameters a PostgreSQL URL may carry, with the values each takes (`undefined`: any).
 * The driver would take many more, each a way around a setting Weft checks (`options`,
 * `host`) or a failure that reaches the caller as a raw stack; TLS with a CA of one's own
 * (`sslrootcert`) is for a later issue.
 */
const POSTGRES_URL_PARAMETERS: Readonly<Record<string, readonly string[] | undefined>> = {
  // libpq's `require` and `verify-ca` mean verify-full in pg 8 (with a warning); they would change meaning in pg 9.
  sslmode: ['disable', 'verify-full'],
  application_name: undefined,
};

/** Refuses, in one message, every query parameter that is not documented, repeated, or has a value not taken. */
function assertUrlParameters(parameters: URLSearchParams): void {
  const refused: string[] = [];
  for (const name of new Set(parameters.keys())) {
    const values = parameters.getAll(name);
    const value = values[0] ?? '';
    const shown = /pass/i.test(name) ? '***' : value;
    const accepted = POSTGRES_URL_PARAMETERS[name];
    if (!Object.hasOwn(POSTGRES_URL_PARAMETERS, name) || (accepted !== undefined && !accepted.includes(value))) {
      refused.push(`"${name}" (value ${JSON.stringify(shown)})`);
    } else if (values.length > 1) {
      refused.push(`"${name}" is given ${values.length} times`);
    }
  }
  if (refused.length === 0) return;
  const accepted = Object.entries(POSTGRES_URL_PARAMETERS)
    .map(([name, values]) => (values === undefined ? name : `${name} (${values.join(', ')})`))
    .join(', ');
  const schemaHint = parameters.has('options') ? ' Set the schema with the "postgres.schema" setting.' : '';
  throw new ConfigError(
    `Setting "url" has query parameter(s) Weft does not accept: ${refused.join(', ')}; accepted: ${accepted}.${schemaHint}`,
  );
}

function resolveRetry(retry: Partial<RetryPolicy> | undefined): RetryPolicy {
  if (retry === undefined) return DEFAULT_RETRY;
  assertKnownKeys(retry, ['maxAttempts', 'baseDelayMs', 'maxDelayMs'], 'retry');
  return {
    maxAttempts: integerSetting('retry.maxAttempts', retry.maxAttempts, DEFAULT_RETRY.maxAttempts, 1),
    baseDelayMs: integerSetting('retry.baseDelayMs', retry.baseDelayMs, DEFAULT_RETRY.baseDelayMs, 0),
    maxDelayMs: integerSetting('retry.maxDelayMs', retry.maxDelayMs, DEFAULT_RETRY.maxDelayMs, 0),
  };
}

function integerSetting(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`Setting "${name}" must be an integer >= ${min}; received ${describe(value)}.`);
  }
  return value;
}

/** Rejects misspelt settings instead of silently ignoring them. */
function assertKnownKeys(value: object, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`Unknown setting "${key}" in ${where}; accepted: ${allowed.join(', ')}.`);
    }
  }
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'nothing';
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'string':
    case 'object':
      return JSON.stringify(value);
    default:
      return `a ${typeof value}`;
  }
}

/** The URL with its password (and any `password=` query parameter) replaced, safe for messages and logs. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
    .replace(/([?&][^=&#]*pass[^=&#]*=)[^&#]*/gi, '$1***');
}

/** `host:port/database as user`, for messages; never the password. */
export function describeTarget(target: ResolvedTarget): string {
  return target.kind === 'sqlite'
    ? `SQLite ${target.filename}`
    : `PostgreSQL at ${target.host}:${target.port}/${target.database} as ${target.user}`;
}
