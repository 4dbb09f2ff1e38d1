import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, DEFAULT_DATABASE_URL, LOG_LEVELS, parseSettings } from '../integration/internal.js';

/** Everything `weft serve` reads from its environment, after checks. */
export interface ServeConfig {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly logLevel: LogLevel;
  /** The bearer token that opens the operator routes to automation (besides admins' own tokens). */
  readonly adminToken?: string;
  /** The first admin's password, on the start that makes the account; absent: one is generated and printed once. */
  readonly adminPassword?: string;
  /** The bearer token that opens /metrics to callers other than this machine. */
  readonly metricsToken?: string;
  /** Origins browsers may call the API from; empty: no CORS. */
  readonly corsOrigins: readonly string[];
  /** The game content folder; absent: the content that ships with the game. */
  readonly contentDir?: string;
  /** How often the server advances the world clock (`world_state.tick`), in milliseconds; 0: never on its own. */
  readonly worldTickMs: number;
  /** The NATS server durable events travel through (`nats://host:port`); absent: the database's event log. */
  readonly eventsTransport?: string;
  /** This deployment's namespace on a NATS server other deployments share (its stream and subjects). */
  readonly natsNamespace?: string;
  /** How long a durable subscription's lease lasts: another process takes over within it once the holder dies. */
  readonly subscriptionLeaseMs?: number;
  /** How long the answer of an idempotent command is kept for its key, in hours (default 24); older ones are pruned. */
  readonly idempotencyRetentionHours?: number;
  /** The operator console's built files, served at `/console/`; absent: dist/console (`npm run build:console`). */
  readonly consoleDir?: string;
}

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every WEFT_ variable Weft reads, here or in its test fixtures. */
const KNOWN_VARIABLES = [
  'WEFT_ADMIN_PASSWORD',
  'WEFT_ADMIN_TOKEN',
  'WEFT_CONTENT_DIR',
  'WEFT_CORS_ORIGINS',
  'WEFT_DATABASE_URL',
  'WEFT_EVENTS_TRANSPORT',
  'WEFT_IDEMPOTENCY_RETENTION_HOURS',
  'WEFT_LOG_LEVEL',
  'WEFT_METRICS_TOKEN',
  'WEFT_NATS_NAMESPACE',
  'WEFT_SUBSCRIPTION_LEASE_MS',
  'WEFT_TEST_NATS_URL',
  'WEFT_TEST_POSTGRES_URL',
  'WEFT_WORLD_TICK_MS',
];

/** Long enough that guessing it over HTTP is hopeless (`openssl rand -hex 32` gives 64). */
const ADMIN_TOKEN_MIN_LENGTH = 32;

export { DEFAULT_DATABASE_URL };

/** The world clock's default: one tick a minute, one state version per tick (the clock keeps its history). */
export const DEFAULT_WORLD_TICK_MS = 60_000;
/** Faster than this, ticks are a load on the database rather than a clock. */
const WORLD_TICK_MIN_MS = 100;
/** One day: a slower clock is better switched off. */
const WORLD_TICK_MAX_MS = 86_400_000;
const WORLD_TICK_MESSAGE = `must be 0 or off (no ticks), or an integer of milliseconds from ${WORLD_TICK_MIN_MS} to ${WORLD_TICK_MAX_MS}`;

const PORT_MESSAGE = 'must be an integer from 0 to 65535';
const HOST_MESSAGE = 'must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name (localhost, game.internal)';

/** One label of a host name (RFC 1123): letters, digits and inner hyphens, at most 63. */
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * An IP address, or a host name whose last label is not all digits: `256.1.1.1` reads as a host name
 * but is a mistyped address, and would reach the resolver and come back as a getaddrinfo stack.
 */
function isHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const labels = host.split('.');
  return host.length <= 253 && labels.every((label) => HOST_LABEL.test(label)) && !/^\d+$/.test(labels.at(-1) ?? '');
}

/** A day: clients retry a command within minutes; a key replayed a day later is a new intent or a bug. */
export const DEFAULT_IDEMPOTENCY_RETENTION_HOURS = 24;
const RETENTION_MESSAGE = 'must be an integer of hours from 1 to 8760 (a year)';

/** The lease a process holds on each durable subscription it delivers, unless WEFT_SUBSCRIPTION_LEASE_MS says. */
export const DEFAULT_SUBSCRIPTION_LEASE_MS = 5000;
// Renewed every third of it: under half a second, a busy event loop or a slow commit would lose it while alive.
const LEASE_MIN_MS = 500;
const LEASE_MAX_MS = 600_000;
const LEASE_MESSAGE = `must be an integer of milliseconds from ${LEASE_MIN_MS} to ${LEASE_MAX_MS}`;

const TRANSPORT_MESSAGE =
  'must be database (the default) or a NATS server URL nats://host:port (nats://127.0.0.1:4222)';

/** `database`, or `nats://host:port` with a host as HOST takes it and a port from 1 to 65535. */
function isEventsTransport(value: string): boolean {
  if (value === 'database') return true;
  const match = /^nats:\/\/(.+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  return match !== null && isHost(match[1] ?? '') && port >= 1 && port <= 65535;
}

/** The environment `weft serve` reads; other variables pass through untouched. */
const environment = z.object({
  PORT: z
    .string()
    .refine((port) => /^\d{1,5}$/.test(port) && Number(port) <= 65535, PORT_MESSAGE)
    .default('8080'),
  HOST: z.string().refine(isHost, HOST_MESSAGE).default('127.0.0.1'),
  WEFT_DATABASE_URL: z.string().min(1, 'must be a database URL').default(DEFAULT_DATABASE_URL),
  WEFT_LOG_LEVEL: z.enum(LOG_LEVELS, { error: 'is not a log level' }).default('info'),
  WEFT_CORS_ORIGINS: z
    .string()
    .refine(
      (origins) => origins.split(',').every((origin) => /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin.trim())),
      'must be a comma-separated list of origins such as https://game.example.com,http://localhost:5173',
    )
    .optional(),
  WEFT_CONTENT_DIR: z.string().min(1, 'must be a folder').optional(),
  WEFT_WORLD_TICK_MS: z
    .string()
    .refine(
      (ms) =>
        ms === 'off' ||
        ms === '0' ||
        (/^\d{1,8}$/.test(ms) && Number(ms) >= WORLD_TICK_MIN_MS && Number(ms) <= WORLD_TICK_MAX_MS),
      WORLD_TICK_MESSAGE,
    )
    .default(String(DEFAULT_WORLD_TICK_MS)),
  WEFT_EVENTS_TRANSPORT: z.string().refine(isEventsTransport, TRANSPORT_MESSAGE).default('database'),
  WEFT_NATS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1 to 40 letters, digits, _ and - (eu1)')
    .optional(),
  WEFT_IDEMPOTENCY_RETENTION_HOURS: z
    .string()
    .refine((hours) => /^\d{1,4}$/.test(hours) && Number(hours) >= 1 && Number(hours) <= 8760, RETENTION_MESSAGE)
    .default(String(DEFAULT_IDEMPOTENCY_RETENTION_HOURS)),
  WEFT_SUBSCRIPTION_LEASE_MS: z
    .string()
    .refine((ms) => /^\d{1,9}$/.test(ms) && Number(ms) >= LEASE_MIN_MS && Number(ms) <= LEASE_MAX_MS, LEASE_MESSAGE)
    .default(String(DEFAULT_SUBSCRIPTION_LEASE_MS)),
});

/**
 * Reads PORT, HOST and every WEFT_ setting (database, log level, tokens, the first admin's password,
 * CORS origins, the content folder, the world tick, the events transport and its NATS namespace, the
 * subscription lease, how long idempotent answers are kept) against a schema. A wrong value stops the start
 * with a ConfigError naming the setting, the value received and what is accepted; an unknown WEFT_ variable
 * (a misspelt one) is refused rather than ignored.
 */
export function readServeConfig(env: Readonly<Record<string, string | undefined>>): ServeConfig {
  // A misspelt WEFT_ variable would otherwise fall back to a default without a word.
  for (const name of Object.keys(env)) {
    if (name.startsWith('WEFT_') && !KNOWN_VARIABLES.includes(name)) {
      throw new ConfigError(`Unknown setting ${name}; accepted: ${KNOWN_VARIABLES.join(', ')}.`);
    }
  }
  const adminToken = readSecret('WEFT_ADMIN_TOKEN', env.WEFT_ADMIN_TOKEN, ADMIN_TOKEN_MIN_LENGTH);
  const metricsToken = readSecret('WEFT_METRICS_TOKEN', env.WEFT_METRICS_TOKEN, ADMIN_TOKEN_MIN_LENGTH);
  const adminPassword = readSecret('WEFT_ADMIN_PASSWORD', env.WEFT_ADMIN_PASSWORD, 10, 128);
  const settings = parseSettings(environment, env, 'environment');
  return {
    port: Number(settings.PORT),
    host: settings.HOST,
    databaseUrl: settings.WEFT_DATABASE_URL,
    logLevel: settings.WEFT_LOG_LEVEL,
    corsOrigins: settings.WEFT_CORS_ORIGINS?.split(',').map((origin) => origin.trim()) ?? [],
    worldTickMs: settings.WEFT_WORLD_TICK_MS === 'off' ? 0 : Number(settings.WEFT_WORLD_TICK_MS),
    subscriptionLeaseMs: Number(settings.WEFT_SUBSCRIPTION_LEASE_MS),
    idempotencyRetentionHours: Number(settings.WEFT_IDEMPOTENCY_RETENTION_HOURS),
    ...(adminToken === undefined ? {} : { adminToken }),
    ...(metricsToken === undefined ? {} : { metricsToken }),
    ...(adminPassword === undefined ? {} : { adminPassword }),
    ...(settings.WEFT_CONTENT_DIR === undefined ? {} : { contentDir: settings.WEFT_CONTENT_DIR }),
    ...(settings.WEFT_EVENTS_TRANSPORT === 'database' ? {} : { eventsTransport: settings.WEFT_EVENTS_TRANSPORT }),
    ...natsNamespace(settings.WEFT_EVENTS_TRANSPORT, settings.WEFT_NATS_NAMESPACE),
  };
}

/** The NATS namespace, which only the NATS transport has: set without it, it would be silently ignored. */
function natsNamespace(transport: string, namespace: string | undefined): { natsNamespace?: string } {
  if (namespace === undefined) return {};
  if (transport === 'database') {
    throw new ConfigError(
      'Invalid environment: setting WEFT_NATS_NAMESPACE: names a deployment on a NATS server, but ' +
        'WEFT_EVENTS_TRANSPORT is database; set WEFT_EVENTS_TRANSPORT=nats://host:port or leave the namespace out.',
    );
  }
  return { natsNamespace: namespace };
}

/** Checked by hand rather than by the schema, whose message would quote the value: a secret stays out of it. */
function readSecret(name: string, value: string | undefined, min: number, max = 1024): string | undefined {
  if (value === undefined) return undefined;
  if (value.length < min || value.length > max || !/^[\x21-\x7e]+$/.test(value)) {
    throw new ConfigError(
      `Invalid environment: setting ${name}: must be ${min} to ${max} characters without spaces (printable ASCII; received: ${value.length} characters, not shown).`,
    );
  }
  return value;
}
