import { ConfigError } from '../integration/index.js';

/** Everything `weft serve` reads from its environment, after checks. */
export interface ServeConfig {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly logLevel: LogLevel;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every WEFT_ variable Weft reads, here or in its test fixtures. */
const KNOWN_VARIABLES = ['WEFT_DATABASE_URL', 'WEFT_LOG_LEVEL', 'WEFT_TEST_POSTGRES_URL'];

/** The embedded default: a SQLite file beside the working directory. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/weft.db';

/**
 * Reads PORT, HOST, WEFT_DATABASE_URL and WEFT_LOG_LEVEL. A wrong value stops the start with
 * a ConfigError naming the setting, the value received and what is accepted.
 */
export function readServeConfig(env: Readonly<Record<string, string | undefined>>): ServeConfig {
  // A misspelt WEFT_ variable would otherwise fall back to a default without a word.
  for (const name of Object.keys(env)) {
    if (name.startsWith('WEFT_') && !KNOWN_VARIABLES.includes(name)) {
      throw new ConfigError(`Unknown setting ${name}; accepted: ${KNOWN_VARIABLES.join(', ')}.`);
    }
  }
  const port = env.PORT ?? '8080';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new ConfigError(`Setting PORT must be an integer from 0 to 65535; received ${JSON.stringify(port)}.`);
  }
  const host = env.HOST ?? '127.0.0.1';
  if (host.trim() === '' || /\s/.test(host)) {
    throw new ConfigError(`Setting HOST must be a host name or address such as 127.0.0.1 or 0.0.0.0; received ${JSON.stringify(host)}.`);
  }
  const logLevel = env.WEFT_LOG_LEVEL ?? 'info';
  if (!isLogLevel(logLevel)) {
    throw new ConfigError(`Setting WEFT_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; received ${JSON.stringify(logLevel)}.`);
  }
  return { port: Number(port), host, databaseUrl: env.WEFT_DATABASE_URL ?? DEFAULT_DATABASE_URL, logLevel };
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
