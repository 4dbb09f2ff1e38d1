import pg from 'pg';
import { redactUrl } from '../database/internal.js';

/** The PostgreSQL server tests use: `WEFT_TEST_POSTGRES_URL`, else the local trust-auth default. */
export function postgresTestUrl(): string {
  return process.env.WEFT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

let probe: Promise<string | undefined> | undefined;

/**
 * Whether PostgreSQL tests can run. With `CI=true` an unreachable server is an error (the
 * tests fail, never skip); otherwise it prints one loud line and answers false so they skip.
 * @example describe.runIf(await postgresAvailableForTests())('on PostgreSQL', () => { ... })
 */
export async function postgresAvailableForTests(): Promise<boolean> {
  probe ??= reachability(postgresTestUrl());
  const failure = await probe;
  if (failure === undefined) return true;
  const line = `PostgreSQL at ${redactUrl(postgresTestUrl())} is not reachable (${failure})`;
  if (process.env.CI === 'true') {
    throw new Error(
      `${line}; CI=true, so PostgreSQL tests fail instead of skipping. Start PostgreSQL or set WEFT_TEST_POSTGRES_URL.`,
    );
  }
  process.stderr.write(`\n!!! SKIPPING POSTGRESQL TESTS: ${line}. Set CI=true to make this a failure.\n\n`);
  return false;
}

async function reachability(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    const message = error instanceof AggregateError ? error.errors.map(String).join('; ') : String(error);
    return message;
  } finally {
    // A client that never connected can fail to end; the connect failure above is the answer.
    await client.end().catch(() => undefined);
  }
}
