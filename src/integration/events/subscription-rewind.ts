import type { Database } from '../database/internal.js';
import { NotFoundError } from '../errors/internal.js';
import type { EventLog } from './event-log.js';
import type { EventTables } from './event-tables.js';

/** What a rebuild did: the subscription, and the log's last event when it was rewound. */
export interface SubscriptionRebuild {
  readonly subscription: string;
  /** The log's last sequence number at the rewind: once the subscription's cursor passes it, the replay is done. */
  readonly throughSeq: number;
}

/**
 * Rewinds a durable subscription to the start of the log, in one transaction flushed to disk: its cursor row goes to
 * 0 with a new lease epoch and no holder, `reset` clears what its handler built, and its inbox rows and dead letters
 * go (every event comes again). The cursor row is written first: on PostgreSQL that waits for a delivery that moved
 * it already to commit, and a delivery yet to move it then finds another epoch and rolls back whole (with SQLite's one
 * writer, deliveries and the rewind simply take turns). Whichever process claims the subscription next, this one or
 * another, reads it from 0 and delivers everything again through the usual path.
 */
export async function rewindSubscription(
  db: Database<EventTables>,
  log: EventLog,
  subscription: { readonly name: string; readonly reset: () => unknown },
): Promise<SubscriptionRebuild> {
  const { name, reset } = subscription;
  return db.transaction(
    async () => {
      const moved = await db
        .executor()
        .updateTable('weft_event_cursors')
        .set((eb) => ({
          seq: 0,
          epoch: eb('epoch', '+', 1),
          holder: null,
          lease_until: 0,
          updated_at: new Date().toISOString(),
        }))
        .where('subscription', '=', name)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) throw new NotFoundError(`Subscription "${name}" has no cursor yet.`);
      await reset();
      await db.executor().deleteFrom('weft_event_inbox').where('subscription', '=', name).execute();
      await db.executor().deleteFrom('weft_dead_letters').where('subscription', '=', name).execute();
      return { subscription: name, throughSeq: await log.lastSeq() };
    },
    { durability: 'full' },
  );
}
