import { CompiledQuery, type Compilable } from 'kysely';
import { WeftError } from '../errors/internal.js';

/**
 * Kysely queries compiled once per shape and reused with fresh parameters: on a hot path,
 * building and compiling a small query costs more than running it. The query is built with
 * stand-in values; `run` gets the real ones in the order their placeholders appear.
 * @example
 * const cursor = new StatementCache()
 * db.executor().executeQuery(cursor.get('move', () => db.executor().updateTable('c').set({ seq: 0 }).where('id', '=', ''), [seq, id]))
 */
export class StatementCache {
  readonly #sql = new Map<string, string>();

  /** The query of shape `key` (built by `build` the first time) with these parameters. */
  get(key: string, build: () => Compilable, parameters: readonly unknown[]): CompiledQuery {
    let text = this.#sql.get(key);
    if (text === undefined) {
      const compiled = build().compile();
      if (compiled.parameters.length !== parameters.length) {
        throw new WeftError(
          'WEFT_INTERNAL',
          `Statement ${key} has ${compiled.parameters.length} placeholders but was given ${parameters.length} values.`,
        );
      }
      text = compiled.sql;
      this.#sql.set(key, text);
    }
    return CompiledQuery.raw(text, parameters as unknown[]);
  }
}
