import { CompiledQuery, type Compilable } from 'kysely';
import { UsageError } from '../errors/internal.js';

/**
 * Kysely queries compiled once per shape and reused with fresh parameters: on a hot path,
 * building and compiling a small query costs more than running it. The query is built with
 * stand-in values; `get` gets the real ones in the order their placeholders appear.
 * Its users' benchmarks need it: the state part's (entry-queries.ts; `npm run bench -- state
 * state-postgres`) and the event log's and durable consumer's (`npm run bench -- durable-events
 * durable-e2e`). It leans on Kysely compiling every value to a placeholder, in order; that is
 * checked against Kysely's own compilation in test/database/statement-cache.unit.spec.ts.
 * @example
 * const cursor = new StatementCache()
 * db.executor().executeQuery(cursor.get('move', () => db.executor().updateTable('c').set({ seq: 0 }).where('id', '=',
 * ''), [seq, id]))
 */
export class StatementCache {
  readonly #statements = new Map<string, { readonly sql: string; readonly placeholders: number }>();

  /**
   * The query of shape `key` (built by `build` the first time) with these parameters; UsageError when their count
   * differs from its placeholders'.
   */
  get<Row = unknown>(key: string, build: () => Compilable<Row>, parameters: readonly unknown[]): CompiledQuery<Row> {
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      const compiled = build().compile();
      statement = { sql: compiled.sql, placeholders: compiled.parameters.length };
      this.#statements.set(key, statement);
    }
    // A wrong count would bind values to the wrong columns, or fail in the driver with a message naming no statement.
    if (statement.placeholders !== parameters.length) {
      throw new UsageError(
        `Statement ${key} has ${statement.placeholders} placeholders but was given ${parameters.length} values.`,
      );
    }
    // Typed with the built query's rows (the return type): the same statement, with other values.
    return CompiledQuery.raw(statement.sql, parameters as unknown[]);
  }
}
