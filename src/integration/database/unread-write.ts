import { CompiledQuery, type Compilable } from 'kysely';
import { holdBack } from './postgres-held-statements.js';

/**
 * `query` marked as a write whose result its caller never reads (an append, a stored result): on PostgreSQL, inside a
 * transaction, Weft's driver sends it with the transaction's next statement, its COMMIT at the latest, sparing a round
 * trip (`npm run bench -- transfer`, weft-full-postgres); a failure of it then fails that statement, and the
 * transaction rolls back whole as after any failed statement. SQLite runs it as it is (the mark is a comment).
 */
export function unreadWrite<Row>(query: Compilable<Row>): Compilable<Row> {
  return { compile: () => unreadCompiled(query.compile()) };
}

/** `unreadWrite` of a statement already compiled. */
export function unreadCompiled<Row>(compiled: CompiledQuery<Row>): CompiledQuery<Row> {
  return CompiledQuery.raw(holdBack(compiled.sql, 'write'), [...compiled.parameters]);
}
