import type pg from 'pg';
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';
import { UsageError } from '../errors/internal.js';
import { mapDriverError, tooManyValuesError, type DriverErrorClassifier } from './driver-errors.js';
import type { DatabaseLogger } from './options.js';
import { observedStream, type StatementObserver } from './statement-observer.js';
import type { StatementNames } from './statement-names.js';
import {
  commitsTransaction,
  endsTransaction,
  heldKind,
  opensTransaction,
  preparedOn,
  queryAfterHeld,
  type HeldKind,
  type HeldStatement,
} from './postgres-held-statements.js';
import { KyselyTransactionsRefused } from './transaction-handle.js';

/** A statement held back by the driver, with its text (for a connection that has not prepared it) and kind. */
type Held = HeldStatement & { readonly sql: string; readonly kind: HeldKind };

/** How the driver maps failures, names its database in them, and reports statements. */
export interface PostgresDriverSettings {
  readonly classify: DriverErrorClassifier;
  readonly target: string;
  readonly observe: StatementObserver | undefined;
  /** The names of the pool's statements: one set per pool, however many drivers Kysely makes over it. */
  readonly names: StatementNames;
  readonly logger: DatabaseLogger;
}

/**
 * Weft's PostgreSQL driver for Kysely, over a node-postgres pool. Unlike Kysely's stock one, it runs every statement
 * that has parameters as a named prepared statement, which the server parses and plans once per connection instead of
 * on every call: about a quarter more transfers per second (`npm run bench -- transfer`, weft-full-postgres). Every
 * failure leaves it as a typed Weft error, and every statement is reported to `observe`.
 */
export class PostgresDriver extends KyselyTransactionsRefused implements Driver {
  readonly #pool: pg.Pool;
  readonly #settings: PostgresDriverSettings;
  /** One connection object per pooled client, so Kysely sees the same one each time it is lent. */
  readonly #connections = new WeakMap<pg.PoolClient, PooledConnection>();

  constructor(pool: pg.Pool, settings: PostgresDriverSettings) {
    super();
    this.#pool = pool;
    this.#settings = settings;
  }

  async init(): Promise<void> {
    // The pool opens connections on demand.
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      // No connection to be had is the database being unavailable, whatever the server said why: besides the codes the
      // classifier knows (refused, no such database, too many connections, shutting down), a database that takes no
      // connections now (55000, `ALLOW_CONNECTIONS false` during maintenance) must be a 503, not a 500.
      const { classify } = this.#settings;
      throw mapDriverError(error, (e) => classify(e) ?? 'connection', this.#settings.target);
    }
    let connection = this.#connections.get(client);
    if (connection === undefined) {
      connection = new PooledConnection(client, this.#settings);
      this.#connections.set(client, connection);
    }
    return connection;
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PooledConnection).release();
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    await this.#pool.end();
  }
}

/**
 * The most parameters one statement may bind: the wire protocol counts them in 16 bits. Sent
 * anyway, more make the server answer with a protocol violation (08P01), which reads as a lost
 * connection, so they are refused before sending.
 */
const MAX_PARAMETERS = 65_535;

/** One pooled client lent to Kysely: statements run named where they can, failures leave as Weft errors. */
class PooledConnection implements DatabaseConnection {
  readonly #client: pg.PoolClient;
  readonly #settings: PostgresDriverSettings;
  /** Statements sent, not yet answered: a retry is safe only for a statement that ran alone outside a transaction. */
  #inFlight = 0;
  /** The BEGIN of the transaction in hand, held back until its first statement goes (see `queryAfterHeld`). */
  #begin: string | undefined;
  /** Statements marked `holdBack`, held back until the transaction's next statement goes, after the BEGIN if held. */
  #held: Held[] = [];

  constructor(client: pg.PoolClient, settings: PostgresDriverSettings) {
    this.#client = client;
    this.#settings = settings;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { classify, target, observe } = this.#settings;
    const startedAt = observe === undefined ? 0 : performance.now();
    try {
      if (query.parameters.length > MAX_PARAMETERS) throw tooManyValuesError(query.parameters.length, MAX_PARAMETERS);
      const result = await this.#run<R>(query);
      observe?.(query.sql, startedAt);
      return result;
    } catch (error) {
      const mapped = mapDriverError(error, classify, target);
      observe?.(query.sql, startedAt, mapped);
      throw mapped;
    }
  }

  streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    return observedStream(refuseStream<R>(), query.sql, this.#settings.observe);
  }

  /** Back to the pool; a client left inside a transaction (its rollback failed) is closed rather than lent again. */
  release(): void {
    this.#begin = undefined;
    this.#held = [];
    this.#client.release(this.#client.getTransactionStatus() !== 'I');
  }

  async #run<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { sql } = query;
    const values = query.parameters as unknown[];
    if (opensTransaction(sql)) {
      this.#begin = sql;
      this.#held = [];
      return { rows: [] };
    }
    const kind = heldKind(sql);
    if (kind !== undefined && this.#holdBack(sql, values, kind)) return { rows: [] };
    const begin = this.#begin;
    const held = this.#held;
    this.#begin = undefined;
    this.#held = [];
    // A transaction that ran no statement, and holds no write: its BEGIN never went, so neither does its end. Held
    // locks with nothing after them protect nothing and are dropped; a ROLLBACK undoes held writes unsent.
    const ends = endsTransaction(sql);
    const commitsWrites = commitsTransaction(sql) && held.some((statement) => statement.kind === 'write');
    if (ends && !commitsWrites && begin !== undefined) return { rows: [{ command: sql.trim().toUpperCase() } as R] };
    const before = ends && !commitsWrites ? [] : held;
    const { names, classify, logger } = this.#settings;
    const alone =
      begin === undefined && before.length === 0 && this.#inFlight === 0 && this.#client.getTransactionStatus() === 'I';
    try {
      // Held writes go with the COMMIT, in its batch.
      if (commitsWrites) return kyselyResult<R>(await this.#send(sql, undefined, [], begin, before));
      // Without parameters, the simple protocol's one message is cheaper than preparing (BEGIN, COMMIT, DDL); a BEGIN
      // held back goes in the same message. Held statements go first in a batch of their own: a text without
      // parameters may hold several statements, which the extended protocol refuses.
      if (values.length === 0) {
        const last = before.at(-1);
        if (last !== undefined) await this.#send(last.sql, last.name, [...last.values], begin, before.slice(0, -1));
        const first = last === undefined ? begin : undefined;
        return kyselyResult<R>(await this.#send(first === undefined ? sql : `${first}; ${sql}`));
      }
      return kyselyResult<R>(await this.#send(sql, names.nameOf(sql), values, begin, before));
    } catch (error) {
      const kind = classify(error);
      if (kind === 'stale-statement') names.forget(sql);
      else if (kind !== 'lost-statement') throw error;
      else if (names.stop()) {
        logger.warn(
          { err: error },
          'a PostgreSQL connection lost the statements it had prepared (a connection pooler between Weft and the ' +
            'server?); statements now run unprepared',
        );
      }
      // Inside a transaction the failure has aborted it: the unit of work retries it whole (the error is retryable).
      if (!alone) throw error;
      return kyselyResult<R>(await this.#send(sql, names.nameOf(sql), values));
    }
  }

  /**
   * Holds a statement marked `holdBack` for the batch of the transaction's next statement, when a transaction is open
   * (or its BEGIN held) and the statement is prepared on this connection; false when it must go now (it is then
   * prepared, and held from the next transaction on).
   */
  #holdBack(sql: string, values: unknown[], kind: HeldKind): boolean {
    if (this.#begin === undefined && this.#client.getTransactionStatus() !== 'T') return false;
    const name = this.#settings.names.nameOf(sql);
    if (name === undefined || !preparedOn(this.#client, name)) return false;
    this.#held.push({ sql, name, values, kind });
    return true;
  }

  /** Sends one statement (its transaction's held BEGIN and held statements first, when given); resolves its result. */
  async #send(
    sql: string,
    name?: string,
    values: unknown[] = [],
    begin?: string,
    held: readonly Held[] = [],
  ): Promise<pg.QueryResult> {
    const client = this.#client;
    this.#inFlight += 1;
    try {
      // A statement without values after held ones (the COMMIT that carries held writes) goes extended, in their batch.
      const extended = values.length === 0 && (begin !== undefined || held.length > 0);
      const query =
        name === undefined
          ? { text: sql, values, ...(extended ? { queryMode: 'extended' as const } : {}) }
          : { name, text: sql, values };
      const beginName = begin === undefined ? undefined : this.#settings.names.nameOf(begin);
      if (begin === undefined || (beginName !== undefined && preparedOn(client, beginName))) {
        const before = beginName === undefined ? held : [{ name: beginName, values: [] }, ...held];
        if (before.length > 0) return await queryAfterHeld(client, before, query);
      } else {
        // The connection's first transaction prepares its BEGIN (unprepared ones when names stopped): one round trip.
        await (beginName === undefined ? client.query(begin) : client.query({ name: beginName, text: begin }));
        for (const statement of held)
          await client.query({ name: statement.name, text: statement.sql, values: [...statement.values] });
      }
      const result: pg.QueryResult | pg.QueryResult[] = await client.query(query as pg.QueryConfig);
      // A simple query holding a held BEGIN and its statement answers for each.
      return Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
    } finally {
      this.#inFlight -= 1;
    }
  }
}

/** A node-postgres result as Kysely reads it (the shape of Kysely's stock driver). */
function kyselyResult<R>(result: pg.QueryResult): QueryResult<R> {
  const { command, rowCount, rows } = result;
  // The unit of work reads a COMMIT that the server turned into a ROLLBACK (a failed statement was caught).
  if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command } as R] };
  const writes = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return {
    ...(writes ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}),
    rows: (rows ?? []) as R[],
  };
}

/** Streaming needs a server-side cursor, which Weft does not keep open across a pooled connection's uses. */
function refuseStream<R>(): AsyncIterableIterator<QueryResult<R>> {
  const refusal = new UsageError(
    'Streaming a query is not available on PostgreSQL; read it in pages (limit and a key).',
  );
  return {
    next: () => Promise.reject(refusal),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
