import type { DatabaseLogger, QueryEvent } from './options.js';

/**
 * Reports one statement to `onQuery`: its text, when it started (`performance.now()`), and the error it ended with.
 * The backends' connections call it where the statement runs, in place of Kysely's `log` option, whose async wrapper
 * around every statement cost about a tenth of the game's crafts per second (`npm run bench -- craft`).
 */
export type StatementObserver = (sql: string, startedAt: number, error?: unknown) => void;

/** The observer for `onQuery`, or undefined without one; a hook that throws is logged and never fails its statement. */
export function statementObserver(
  onQuery: ((event: QueryEvent) => void) | undefined,
  logger: DatabaseLogger,
): StatementObserver | undefined {
  if (onQuery === undefined) return undefined;
  return (sql, startedAt, error) => {
    const durationMs = performance.now() - startedAt;
    try {
      onQuery(error === undefined ? { sql, durationMs } : { sql, durationMs, error });
    } catch (failure) {
      logger.error({ err: failure }, 'onQuery hook failed');
    }
  };
}

/** Passes `stream` through and reports it to `observe` once it ends: read to the end, stopped early, or failed. */
export async function* observedStream<T>(
  stream: AsyncIterable<T>,
  sql: string,
  observe: StatementObserver | undefined,
): AsyncIterableIterator<T> {
  if (observe === undefined) {
    yield* stream;
    return;
  }
  const startedAt = performance.now();
  let failure: { error: unknown } | undefined;
  try {
    yield* stream;
  } catch (error) {
    failure = { error };
    throw error;
  } finally {
    if (failure === undefined) observe(sql, startedAt);
    else observe(sql, startedAt, failure.error);
  }
}
