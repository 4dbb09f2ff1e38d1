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
    const rows = await query
      .orderBy('created_at')
      .orderBy('id')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toDeadLetter);
  }

  /**
   * Runs each dead letter through its subscription's handler again (the subscription must be
   * subscribed in this process). Returns the ids that went through; the others stay, with the new error.
   */
  async redrive(ids: readonly string[]): Promise<string[]> {
    const done: string[] = [];
    for (const letter of await this.#byIds(ids)) {
      const redrive = this.#redriver(letter.subscription);
      if (redrive === undefined)
        throw new NotFoundError(
          `Subscription "${letter.subscription}" is not subscribed here; subscribe it before redriving its dead letters.`,
        );
      if (await redrive(letter.id, letter.envelope, letter.attempts)) done.push(letter.id);
    }
    return done;
  }

  /** Deletes dead letters; returns how many were deleted. */
  async discard(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.#db.executor().deleteFrom('weft_dead_letters').where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #byIds(ids: readonly string[]): Promise<DeadLetter[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db
      .executor()
      .selectFrom('weft_dead_letters')
      .selectAll()
      .where('id', 'in', ids)
      .orderBy('created_at')
      .execute();
    const found = rows.map(toDeadLetter);
    if (found.length !== new Set(ids).size) {
      const missing = ids.filter((id) => !found.some((letter) => letter.id === id));
      throw new NotFoundError(`No dead letter has id ${missing.join(', ')}.`);
    }
    return found;
  }
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
