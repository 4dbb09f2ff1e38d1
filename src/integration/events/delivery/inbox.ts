import type { Database } from '../../database/internal.js';
import type { EventEnvelope, LoggedEvent } from '../envelope.js';
import type { EventLogQueries } from '../event-log-queries.js';
import type { EventTables } from '../event-tables.js';

const NONE: ReadonlySet<string> = new Set();

/**
 * A subscription's inbox (`weft_event_inbox`): the events whose effects it committed. Checked and
 * written in the transaction that handles the events, so a redelivered event has no second effect.
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

  /** The ids of these events that the inbox holds already. */
  async seen(events: readonly LoggedEvent[]): Promise<ReadonlySet<string>> {
    const ids = events.map((event) => event.envelope.id);
    const { rows } = await this.#db
      .executor()
      .executeQuery<{ event_id: string }>(this.#queries.inboxSeen(this.#subscription, ids));
    return rows.length === 0 ? NONE : new Set(rows.map((row) => row.event_id));
  }

  /** Records these events (none of them there yet), in one statement. */
  async record(envelopes: readonly EventEnvelope[]): Promise<void> {
    const ids = envelopes.map((envelope) => envelope.id);
    await this.#db
      .executor()
      .executeQuery(this.#queries.inboxRecord(this.#subscription, ids, new Date().toISOString()));
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
