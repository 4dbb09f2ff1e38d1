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
  /** The try running now: a try that left its commit group runs anew; the old try's timeout must not abandon it. */
  let tries = 0;
  const handleIn =
    (mine: number): TimedHandler =>
    (envelopes) => {
      const first = envelopes[0];
      if (first === undefined) return Promise.resolve();
      context.recorder.handling(envelopes);
      return withHandlerTimeout(
        subscription.handle(envelopes),
        subscription.timeoutMs,
        subscription.name,
        first,
        (error) => {
          if (mine === tries) abandon.abort(error);
        },
      );
    };
  return context.db.transaction(() => work(handleIn(++tries)), { ...options, signal: abandon.signal });
}
