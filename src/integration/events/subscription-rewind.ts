import type { Database } from '../database/internal.js';
import { ConflictError, NotFoundError, UsageError } from '../errors/internal.js';
import type { DeliveryEngine } from './delivery/delivery-engine.js';
import type { EventLog } from './event-log.js';
import type { EventTables } from './event-tables.js';
import type { Transport } from './transport.js';

/** What a rebuild did: the subscription, and the log's last event when it was rewound. */
export interface SubscriptionRebuild {
  readonly subscription: string;
  /** The log's last sequence number at the rewind: once the subscription's cursor passes it, the replay is done. */
  readonly throughSeq: number;
}

/** What a rebuild needs of the subscription, as the bus keeps it: its reset, and its engine in this process. */
export interface RebuildTarget {
  readonly name: string;
  readonly reset: (() => unknown) | undefined;
  readonly engine: Pick<DeliveryEngine, 'ready' | 'rewound'> | undefined;
}

/**
 * `bus.rebuild`: refuses what cannot be replayed before anything is written (NotFoundError for no durable subscription
 * of that name in this process; ConflictError for one without `reset`, whose effects would happen twice, or on a
 * transport that keeps positions of its own; UsageError inside a transaction, whose commit the rewind must not wait
 * for), rewinds, then tells this process's engine and wakes the transport.
 */
export async function rebuildSubscription(
  db: Database<EventTables>,
  log: EventLog,
  transport: Pick<Transport, 'rewindable' | 'committed' | 'rewind'>,
  target: RebuildTarget,
): Promise<SubscriptionRebuild> {
  const { name, reset, engine } = target;
  const details = { details: { subscription: name } };
  if (engine === undefined) throw new NotFoundError(`No durable subscription is named "${name}".`, details);
  if (reset === undefined)
    throw new ConflictError(
      `Subscription "${name}" declares no reset: replayed, its handler's effects would happen twice.`,
      details,
    );
  if (!transport.rewindable)
    throw new ConflictError(
      `Subscription "${name}" cannot be replayed on this transport: its position is the broker's, and this ` +
        'transport cannot take it back.',
      details,
    );
  if (db.inTransaction())
    throw new UsageError(`Replay subscription "${name}" outside a transaction: its rewind commits on its own.`);
  await engine.ready;
  const { rebuilt, epoch } = await rewindSubscription(db, log, { name, reset }, transport);
  engine.rewound(epoch);
  transport.committed();
  return rebuilt;
}

/**
 * Rewinds a durable subscription to the start of the log, in one transaction flushed to disk: its cursor row goes to
 * 0 with a new lease epoch and no holder, its dead letters go, `reset` clears what its handler built, and its
 * inbox rows go (every event comes again). The cursor row is written first: on PostgreSQL that waits for a delivery
 * that moved it already to commit, and a delivery yet to move it then finds another epoch and rolls back whole (with
 * SQLite's one writer, deliveries and the rewind simply take turns). A transport with a position of its own rewinds it
 * right after (`Transport.rewind`), under the same fence. Whichever process claims the subscription next, this one or
 * another, reads it from the start and delivers everything again through the usual path.
 */
export async function rewindSubscription(
  db: Database<EventTables>,
  log: EventLog,
  subscription: { readonly name: string; readonly reset: () => unknown },
  transport?: Pick<Transport, 'rewind'>,
): Promise<{ rebuilt: SubscriptionRebuild; epoch: number }> {
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
        .returning('epoch')
        .executeTakeFirst();
      if (moved === undefined) throw new NotFoundError(`Subscription "${name}" has no cursor yet.`);
      await transport?.rewind?.(name);
      // The dead letters before the reset: a redrive takes its letter's row first, so one in flight is waited for
      // here and its effects are then cleared by the reset and its inbox row deleted below; one yet to start finds its
      // letter gone and runs nothing. After the reset, a redrive committing in between kept its effects past the reset
      // while its inbox row went, and the replay counted its event again.
      await db.executor().deleteFrom('weft_dead_letters').where('subscription', '=', name).execute();
      await reset();
      await db.executor().deleteFrom('weft_event_inbox').where('subscription', '=', name).execute();
      return { rebuilt: { subscription: name, throughSeq: await log.lastSeq() }, epoch: Number(moved.epoch) };
    },
    { durability: 'full' },
  );
}
