import type { Database, TransactionOptions } from '../../database/internal.js';
import type { EventTables } from '../event-tables.js';
import type { TransportStream } from '../transport.js';
import type { DeliveryRecorder } from './delivery-recorder.js';
import type { DurableSubscription } from './durable-subscription.js';
import type { Inbox } from './inbox.js';

/** What every delivery path of one subscription works with. */
export interface DeliveryContext {
  readonly db: Database<EventTables>;
  readonly subscription: DurableSubscription;
  readonly stream: TransportStream;
  readonly inbox: Inbox;
  readonly recorder: DeliveryRecorder;
  /** Options of the transactions that handle events (their durability). */
  readonly handling: TransactionOptions;
  /** Aborted when the engine stops: a path finishes the transaction in hand and returns. */
  readonly stopping: AbortSignal;
}
