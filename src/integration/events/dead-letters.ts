import { NotFoundError } from '../errors/internal.js';
import type { Database } from '../database/internal.js';
import type { EventEnvelope } from './envelope.js';
import type { EventTables } from './event-tables.js';

/** An event a subscription gave up on, with why. */
export interface DeadLetter {
  readonly id: string;
  readonly subscription: string;
  readonly eventId: string;
  readonly type: string;
  readonly envelope: EventEnvelope;
  readonly error: string;
  readonly attempts: number;
  readonly correlationId: string;
  readonly createdAt: string;
}

/** Which dead letters to list. */
export interface DeadLetterFilter {
  readonly subscription?: string;
  readonly type?: string;
  readonly correlationId?: string;
  readonly limit?: number;
  /** A dead letter's id: list the ones after it (a page's last id continues the listing). */
  readonly after?: string;
}

/** How many dead letters one subscription holds. */
export interface DeadLetterCount {
  readonly subscription: string;
  readonly count: number;
}

/** What redrive needs from the bus: the consumer of a subscription, by name. */
export type Redriver = (
  subscription: string,
) => ((deadLetterId: string, envelope: EventEnvelope, attempts: number) => Promise<boolean>) | undefined;

/** The dead-letter table: look, run again, or throw away. */
export class DeadLetters {
  readonly #db: Database<EventTables>;
  readonly #redriver: Redriver;

  constructor(db: Database<EventTables>, redriver: Redriver) {
    this.#db = db;
    this.#redriver = redriver;
  }

  /** Oldest first. */
  async list(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    let query = this.#db.executor().selectFrom('weft_dead_letters').selectAll();
    if (filter.subscription !== undefined) query = query.where('subscription', '=', filter.subscription);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    if (filter.correlationId !== undefined) query = query.where('correlation_id', '=', filter.correlationId);
    const after = filter.after;
    if (after !== undefined) {
      // Listing order is (created_at, id): the rows past the named one in that order. A gone id continues nothing.
      const mark = this.#db.executor().selectFrom('weft_dead_letters').where('id', '=', after);
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '>', mark.select('created_at')),
          eb.and([eb('created_at', '=', mark.select('created_at')), eb('id', '>', after)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('created_at')
      .orderBy('id')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toDeadLetter);
  }

  /** One dead letter by id; undefined when there is none (never was, or redriven or discarded since). */
  async get(id: string): Promise<DeadLetter | undefined> {
    return (await this.#byIds([id]))[0];
  }

  /** How many dead letters each subscription holds, by subscription name; subscriptions with none are absent. */
  async counts(): Promise<DeadLetterCount[]> {
    const rows = await this.#db
      .executor()
      .selectFrom('weft_dead_letters')
      .select((eb) => ['subscription', eb.fn.countAll<number | string | bigint>().as('count')])
      .groupBy('subscription')
      .orderBy('subscription')
      .execute();
    return rows.map((row) => ({ subscription: row.subscription, count: Number(row.count) }));
  }

  /**
   * Runs each dead letter through its subscription's handler again (each in its own transaction), oldest first within
   * each chunk of ids. Ids not in the table (gone already: redriven or discarded by someone else) are skipped. Every
   * subscription named is checked first: one not subscribed in this process is a NotFoundError and nothing runs.
   * Returns the ids that went through; the others stay, with the new error.
   */
  async redrive(ids: readonly string[]): Promise<string[]> {
    const chunks = chunksOf(ids);
    const subscriptions = new Set<string>();
    for (const chunk of chunks) {
      const rows = await this.#db
        .executor()
        .selectFrom('weft_dead_letters')
        .select('subscription')
        .distinct()
        .where('id', 'in', chunk)
        .execute();
      for (const row of rows) subscriptions.add(row.subscription);
    }
    const absent = [...subscriptions].filter((name) => this.#redriver(name) === undefined);
    if (absent.length > 0)
      throw new NotFoundError(
        `Subscription(s) ${absent.map((name) => `"${name}"`).join(', ')} not subscribed here; subscribe before redriving their dead letters.`,
        { details: { subscriptions: absent } },
      );
    const done: string[] = [];
    for (const chunk of chunks) {
      for (const letter of await this.#byIds(chunk)) {
        // Checked above; a subscription removed since then makes its letters stay, reported as not gone through.
        const redrive = this.#redriver(letter.subscription);
        if (redrive !== undefined && (await redrive(letter.id, letter.envelope, letter.attempts))) done.push(letter.id);
      }
    }
    return done;
  }

  /** Deletes dead letters, in one transaction whatever the number of ids; returns how many were deleted. */
  async discard(ids: readonly string[]): Promise<number> {
    const chunks = chunksOf(ids);
    if (chunks.length === 0) return 0;
    return this.#db.transaction(async (tx) => {
      let deleted = 0;
      for (const chunk of chunks) {
        const result = await tx.deleteFrom('weft_dead_letters').where('id', 'in', chunk).executeTakeFirst();
        deleted += Number(result.numDeletedRows);
      }
      return deleted;
    });
  }

  async #byIds(ids: readonly string[]): Promise<DeadLetter[]> {
    const rows = await this.#db
      .executor()
      .selectFrom('weft_dead_letters')
      .selectAll()
      .where('id', 'in', ids)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toDeadLetter);
  }
}

/**
 * Ids per statement: one placeholder each, far under SQLite's 32,766 and PostgreSQL's 65,535 (70,000 ids in one
 * statement failed on both).
 */
const IDS_PER_STATEMENT = 1000;

/** The distinct ids in chunks of IDS_PER_STATEMENT. */
function chunksOf(ids: readonly string[]): string[][] {
  const distinct = [...new Set(ids)];
  const chunks: string[][] = [];
  for (let start = 0; start < distinct.length; start += IDS_PER_STATEMENT)
    chunks.push(distinct.slice(start, start + IDS_PER_STATEMENT));
  return chunks;
}

function toDeadLetter(row: EventTables['weft_dead_letters']): DeadLetter {
  return {
    id: row.id,
    subscription: row.subscription,
    eventId: row.event_id,
    type: row.type,
    envelope: JSON.parse(row.envelope) as EventEnvelope,
    error: row.error,
    attempts: row.attempts,
    correlationId: row.correlation_id,
    createdAt: row.created_at,
  };
}
