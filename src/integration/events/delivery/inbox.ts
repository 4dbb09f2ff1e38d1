import type { Database } from '../../database/internal.js';
import type { EventEnvelope } from '../envelope.js';
import type { EventLogQueries } from '../event-log-queries.js';
import type { EventTables } from '../event-tables.js';

/**
 * A subscription's inbox (`weft_event_inbox`): the events whose effects it committed. Claimed in the
 * transaction that handles the events, so a redelivered event has no second effect.
 */
export class Inbox {
  readonly #db: Database<EventTables>;
  readonly #queries: EventLogQueries;
  readonly #subscription: string;

  constructor(db: Database<EventTables>, queries: EventLogQueries, subscription: string) {
    this.#db = db;
    this.#queries = queries;
    this.#subscription = subscription;
  }

  /**
   * Records these events, skipping those the inbox holds already, in one statement; resolves the ids it recorded (the
   * events not handled before). Run in the transaction that handles them: if it rolls back, so do the rows.
   */
  async claim(envelopes: readonly EventEnvelope[]): Promise<Set<string>> {
    if (envelopes.length === 0) return new Set();
    const ids = envelopes.map((envelope) => envelope.id);
    const { rows } = await this.#db
      .executor()
      .executeQuery<{ event_id: string }>(this.#queries.inboxClaim(this.#subscription, ids, new Date().toISOString()));
    return new Set(rows.map((row) => row.event_id));
  }

  /** Records one event, which may be there already (a dead letter parked or re-driven after a redelivery). */
  async recordOnce(envelope: EventEnvelope): Promise<void> {
    await this.#db
      .executor()
      .insertInto('weft_event_inbox')
      .values({ subscription: this.#subscription, event_id: envelope.id, handled_at: new Date().toISOString() })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}
