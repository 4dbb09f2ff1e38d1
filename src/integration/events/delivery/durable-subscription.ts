import type { RetryPolicy } from '../../database/internal.js';
import type { EventEnvelope } from '../envelope.js';
import type { TransportSubscription } from '../transport.js';

/** What the delivery engine needs to know of a durable subscription: the transport's part, and how to handle. */
export interface DurableSubscription extends TransportSubscription {
  /** Events it skips (still acknowledged, never handled). */
  readonly filter: ((envelope: EventEnvelope) => boolean) | undefined;
  readonly retry: RetryPolicy;
  /**
   * Runs the handler on these events (one, or a batch for batch subscriptions) in their context; throws when it fails.
   */
  readonly handle: (envelopes: readonly EventEnvelope[]) => Promise<void>;
  /** Events handed to the handler at once: 1, or the batch size of a batch subscription. */
  readonly batchSize: number;
  /** Whether delivery transactions wait for the disk (see SubscribeOptions.durability). */
  readonly durability: 'full' | 'deferred';
  /** Events handled at once, each in its own transaction; the same partition key never runs twice at once. */
  readonly concurrency: number;
  /** The longest one handler run may take before its delivery is abandoned as a failed attempt. */
  readonly timeoutMs: number;
}
