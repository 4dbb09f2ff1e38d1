import pg from 'pg';

/** A transaction's first statement, BEGIN or START TRANSACTION (with its isolation and access mode). */
const BEGIN = /^\s*(begin|start\s+transaction)\b/i;
/** The end of a whole transaction (not `rollback to savepoint`). */
const END = /^\s*(commit|rollback)\s*$/i;

/** Whether `sql` opens a transaction: the driver holds it back and sends it with the transaction's first statement. */
export function opensTransaction(sql: string): boolean {
  return BEGIN.test(sql);
}

/** Whether `sql` ends a whole transaction: with its BEGIN still held back, nothing ran, and nothing is sent. */
export function endsTransaction(sql: string): boolean {
  return END.test(sql);
}

/** What node-postgres keeps per connection of the statements it prepared there, and the socket it writes to. */
interface WireConnection {
  readonly stream: { cork(): void; uncork(): void };
  readonly parsedStatements: Record<string, string | undefined>;
  readonly submittedNamedStatements: Record<string, string | undefined>;
  bind(config: { statement: string; values: unknown[] }): void;
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

/**
 * Runs the statement `query` after `beginName` (a BEGIN this connection prepared already) in one batch of messages
 * with one Sync: Bind and Execute of the BEGIN, then the statement's own Parse (when new), Bind, Describe and Execute.
 * The server runs them in order and answers once, so a transaction's BEGIN costs no round trip of its own: one of a
 * delivery's three under `npm run bench -- distributed`, one of the thirteen of a transfer under
 * `npm run bench -- transfer` (weft-full-postgres). Resolves the statement's result; a failure of either rejects, and
 * the transaction (begun or not) is then rolled back by the unit of work as after any failed statement. It leans on
 * node-postgres's connection (its statement bookkeeping and message writers, which its types do not show): an upgrade
 * that changes them fails `test/database/postgres-held-begin.int.spec.ts` and the whole PostgreSQL suite at once.
 */
export function queryAfterBegin(
  client: pg.ClientBase,
  beginName: string,
  query: { name?: string; text: string; values: unknown[] },
): Promise<pg.QueryResult> {
  return new Promise<pg.QueryResult>((resolve, reject) => {
    const statement = new pg.Query(query);
    const submitStatement = statement.submit.bind(statement);
    statement.submit = (connection) => {
      const wire = connection as unknown as WireConnection;
      // Checked before anything is written: a refusal after the BEGIN's messages would leave them for the next Sync.
      const previous =
        query.name === undefined
          ? undefined
          : (wire.parsedStatements[query.name] ?? wire.submittedNamedStatements[query.name]);
      if (previous !== undefined && previous !== query.text) {
        return new Error(`Prepared statement "${query.name}" names another statement on this connection.`);
      }
      // Corked, so the BEGIN's messages and the statement's leave in one write (node-postgres corks its own likewise).
      wire.stream.cork();
      try {
        wire.bind({ statement: beginName, values: [] });
        wire.execute({});
        return submitStatement(connection);
      } finally {
        wire.stream.uncork();
      }
    };
    statement.on('end', (results: pg.QueryResult | pg.QueryResult[]) => {
      // One result for the BEGIN, one for the statement.
      resolve(Array.isArray(results) ? (results.at(-1) as pg.QueryResult) : results);
    });
    statement.on('error', reject);
    client.query(statement);
  });
}
