import { createHash } from 'node:crypto';
import { unreadWrite, type Database } from '../database/internal.js';
import type { Actor } from './types.js';

/** The table behind idempotency keys, for Kysely's types. */
export interface CommandTables {
  weft_command_results: {
    actor: string;
    idempotency_key: string;
    command: string;
    input_hash: string;
    result: string | null;
    correlation_id: string;
    created_at: string;
  };
}

/** What an earlier run of a key left: which command, on which input, with which result. */
export interface StoredResult {
  readonly command: string;
  readonly inputHash: string;
  readonly result: unknown;
}

/**
 * The first result of each (actor, idempotency key), written in the transaction of the command
 * that produced it. A key is claimed first, before the command runs: on PostgreSQL a second
 * transaction claiming the same key waits on the primary key until the first ends, then finds its
 * committed result (or, when the first rolled back, claims the key itself); on SQLite write
 * transactions run one at a time anyway. So a repeat never runs the command a second time.
 */
export class IdempotencyRecords {
  readonly #db: Database<CommandTables>;

  constructor(db: Pick<Database<unknown>, 'withTables'>) {
    this.#db = db.withTables<CommandTables>();
  }

  /** Inside the command's transaction: claims the key (undefined), or returns what a committed run stored. */
  async claim(
    actor: Actor,
    key: string,
    command: string,
    inputHash: string,
    correlationId: string,
  ): Promise<StoredResult | undefined> {
    const db = this.#db.executor();
    const owner = actorKey(actor);
    const inserted = await db
      .insertInto('weft_command_results')
      .values({
        actor: owner,
        idempotency_key: key,
        command,
        input_hash: inputHash,
        result: null,
        correlation_id: correlationId,
        created_at: new Date().toISOString(),
      })
      .onConflict((oc) => oc.columns(['actor', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return undefined;
    const row = await db
      .selectFrom('weft_command_results')
      .select(['command', 'input_hash', 'result'])
      .where('actor', '=', owner)
      .where('idempotency_key', '=', key)
      .executeTakeFirstOrThrow();
    return {
      command: row.command,
      inputHash: row.input_hash,
      result: row.result === null ? undefined : JSON.parse(row.result),
    };
  }

  /** Inside the same transaction, after the command succeeded: stores its result under the key. */
  async complete(actor: Actor, key: string, result: unknown): Promise<void> {
    const update = this.#db
      .executor()
      .updateTable('weft_command_results')
      .set({ result: JSON.stringify(result ?? null) })
      .where('actor', '=', actorKey(actor))
      .where('idempotency_key', '=', key);
    // The row is the claim's, made in this transaction: nothing to read back. On PostgreSQL the update goes with the
    // transaction's next statement or its COMMIT.
    await this.#db.execute(unreadWrite(update).compile());
  }

  /**
   * Forgets keys stored before `before`; returns how many. Run it on a schedule that fits your clients' retry window.
   */
  async prune(before: Date): Promise<number> {
    const deleted = await this.#db
      .executor()
      .deleteFrom('weft_command_results')
      .where('created_at', '<', before.toISOString())
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}

/** Keys are the actor's own: two players choosing the same key never see each other's results. */
function actorKey(actor: Actor): string {
  return `${actor.kind}:${actor.id}`;
}

/** A fingerprint of a command's input, the same for equal values whatever the order of their keys. */
export function inputHash(input: unknown): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
