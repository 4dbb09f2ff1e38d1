import type { TransactionOptions } from '../../database/internal.js';
import type { EventEnvelope } from '../envelope.js';
import { withHandlerTimeout } from '../handler-timeout.js';
import type { DeliveryContext } from './delivery-context.js';

/** Runs the subscription's handler on events inside a delivery transaction, under the subscription's timeout. */
export type TimedHandler = (envelopes: readonly EventEnvelope[]) => Promise<void>;

/**
 * Runs `work` in a transaction whose handlers run under the subscription's `timeoutMs`: one that runs past it abandons
 * the transaction (it rolls back and frees its connection; what the handler does afterwards is refused) and the
 * attempt fails with a TimeoutError, retried and dead-lettered like any failure.
 */
export function deliveryTransaction<T>(
  context: DeliveryContext,
  work: (handle: TimedHandler) => Promise<T>,
  options: TransactionOptions = context.handling,
): Promise<T> {
  const { subscription } = context;
  const abandon = new AbortController();
  const handle: TimedHandler = (envelopes) => {
    const first = envelopes[0];
    if (first === undefined) return Promise.resolve();
    context.recorder.handling(envelopes);
    return withHandlerTimeout(
      subscription.handle(envelopes),
      subscription.timeoutMs,
      subscription.name,
      first,
      (error) => {
        if (tryStillOpen(context)) abandon.abort(error);
      },
    );
  };
  return context.db.transaction(() => work(handle), { ...options, signal: abandon.signal });
}

/**
 * Whether the try whose handler timed out (the calling async context's transaction) is still open. One the unit of work
 * gave up already, as a try made to leave its commit group that runs anew alone, is not: its timeout must not abandon
 * the new try, which shares the signal. The database answers for a given-up try by throwing its refusal.
 */
function tryStillOpen(context: DeliveryContext): boolean {
  try {
    return context.db.inTransaction();
  } catch {
    return false;
  }
}
