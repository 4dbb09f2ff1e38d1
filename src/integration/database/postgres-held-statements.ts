import { createRequire } from 'node:module';
import pg from 'pg';

/** node-postgres's own conversion of a value to its wire form, as its queries bind them (not in its types). */
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue: (value: unknown) => unknown;
};

/** A transaction's first statement, BEGIN or START TRANSACTION (with its isolation and access mode). */
const BEGIN = /^\s*(begin|start\s+transaction)\b/i;
/** The end of a whole transaction (not `rollback to savepoint`). */
const END = /^\s*(commit|rollback)\s*$/i;
/** What starts a statement its caller never reads the result of, which may go with the next one (see `holdBack`). */
const HELD = { lock: '/* lock, sent with the next statement */ ', write: '/* write, sent with the next statement */ ' };

/** What a held statement is: a lock may be left out when nothing follows it; a write never is. */
export type HeldKind = keyof typeof HELD;

/**
 * `statement` marked so that Weft's PostgreSQL driver may hold it back inside a transaction and send it in the batch
 * of the transaction's next statement (the COMMIT included): its caller gets no rows, and a failure of it (a lock
 * timeout, a deadlock, a broken constraint) rejects that next statement instead. A `lock` that nothing follows but
 * the transaction's end is not sent at all (it protects nothing); a `write` goes with the COMMIT.
 */
export function holdBack(statement: string, kind: HeldKind): string {
  return `${HELD[kind]}${statement}`;
}

/** The kind `sql` was marked with by `holdBack`, if any. */
export function heldKind(sql: string): HeldKind | undefined {
  if (!sql.startsWith('/* ')) return undefined;
  if (sql.startsWith(HELD.lock)) return 'lock';
  return sql.startsWith(HELD.write) ? 'write' : undefined;
}

/** Whether `sql` opens a transaction: the driver holds it back and sends it with the transaction's first statement. */
export function opensTransaction(sql: string): boolean {
  return BEGIN.test(sql);
}

/** Whether `sql` ends a whole transaction: with its BEGIN still held back, nothing ran, and nothing is sent. */
export function endsTransaction(sql: string): boolean {
  return END.test(sql);
}

/** Whether `sql` is a transaction's COMMIT (held writes go with it; a ROLLBACK undoes them unsent). */
export function commitsTransaction(sql: string): boolean {
  return END.exec(sql)?.[1]?.toLowerCase() === 'commit';
}

/** What node-postgres keeps per connection of the statements it prepared there, and the socket it writes to. */
interface WireConnection {
  readonly stream: { cork(): void; uncork(): void };
  readonly parsedStatements: Record<string, string | undefined>;
  readonly submittedNamedStatements: Record<string, string | undefined>;
  bind(config: { statement: string; values: unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: Record<string, never>): void;
}

/** The wire connection of a client (node-postgres keeps it as `connection`, which its types do not show). */
function wireOf(client: pg.ClientBase): WireConnection {
  return (client as unknown as { connection: WireConnection }).connection;
}

/** Whether this client's connection has prepared the statement named `name` already. */
export function preparedOn(client: pg.ClientBase, name: string): boolean {
  return wireOf(client).parsedStatements[name] !== undefined;
}

/** A prepared statement held back to go in the batch of the next one: its name on the connection, and its values. */
export interface HeldStatement {
  readonly name: string;
  readonly values: readonly unknown[];
}

/**
 * Runs the statement `query` after `held` (statements this connection prepared already: a transaction's BEGIN, a
 * lock) in one batch of messages with one Sync: Bind, Describe and Execute of each held statement, then the
 * statement's own Parse (when new), Bind, Describe and Execute. The server runs them in order and answers once, so a
 * held statement costs no round trip of its own: a BEGIN is one of a delivery's three under
 * `npm run bench -- distributed`, one of the thirteen of a transfer under `npm run bench -- transfer`
 * (weft-full-postgres); the event log's lock is another of each publishing transaction's. Resolves the statement's
 * result; a failure of any rejects (the server skips the rest of the batch), and the transaction (begun or not) is
 * then rolled back by the unit of work as after any failed statement. It leans on node-postgres's connection (its
 * statement bookkeeping and message writers, which its types do not show): an upgrade that changes them fails
 * `test/database/postgres-held-begin.int.spec.ts` and the whole PostgreSQL suite at once.
 */
export function queryAfterHeld(
  client: pg.ClientBase,
  held: readonly HeldStatement[],
  query: { name?: string; text: string; values: unknown[]; queryMode?: 'extended' },
): Promise<pg.QueryResult> {
  return new Promise<pg.QueryResult>((resolve, reject) => {
    // node-postgres takes `queryMode` (its types do not show it): a statement without values goes extended too.
    const statement = new pg.Query(query as pg.QueryConfig);
    const submitStatement = statement.submit.bind(statement);
    statement.submit = (connection) => {
      const wire = connection as unknown as WireConnection;
      // Checked before anything is written: a refusal after the held messages would leave them for the next Sync.
      const previous =
        query.name === undefined
          ? undefined
          : (wire.parsedStatements[query.name] ?? wire.submittedNamedStatements[query.name]);
      if (previous !== undefined && previous !== query.text) {
        return new Error(`Prepared statement "${query.name}" names another statement on this connection.`);
      }
      // Corked, so the held messages and the statement's leave in one write (node-postgres corks its own likewise).
      wire.stream.cork();
      try {
        for (const { name, values } of held) {
          wire.bind({ statement: name, values: [...values], valueMapper: prepareValue });
          // Described as node-postgres describes its own: a held statement's rows (a lock's one empty row) then come
          // with their description, and the query keeps them apart from the statement's own.
          wire.describe({ type: 'P', name: '' });
          wire.execute({});
        }
        return submitStatement(connection);
      } finally {
        wire.stream.uncork();
      }
    };
    statement.on('end', (results: pg.QueryResult | pg.QueryResult[]) => {
      // One result for each held statement, then the statement's.
      resolve(Array.isArray(results) ? (results.at(-1) as pg.QueryResult) : results);
    });
    statement.on('error', reject);
    client.query(statement);
  });
}
