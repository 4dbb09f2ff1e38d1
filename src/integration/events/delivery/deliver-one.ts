import { performance } from 'node:perf_hooks';
import { backoffDelay } from '../../database/internal.js';
import type { LoggedEvent } from '../envelope.js';
import { SubscriptionLeaseLostError } from '../subscription-lease.js';
import { deadLetter } from './dead-letter.js';
import type { DeliveryContext } from './delivery-context.js';
import { deliveryTransaction } from './delivery-transaction.js';
import { handleUnseen } from './handle-unseen.js';

/**
 * Delivers one event in transactions of its own: tries, waits out the backoff, tries again, and
 * after the last attempt parks it in the dead-letter table. With `advance`, each transaction also
 * moves the stream's position past the event and it is acknowledged once one commits; without it
 * (lanes) the caller moves the position for a whole group. Returns early, leaving the event
 * unacknowledged, when the engine stops.
 */
export function deliverOne(context: DeliveryContext, event: LoggedEvent, advance: boolean): Promise<void> {
  return attempt(context, event, 1, advance);
}

/**
 * Goes on with an event whose first attempt failed elsewhere (in a group): counts that one, then tries from the second.
 */
export async function retryFailed(
  context: DeliveryContext,
  event: LoggedEvent,
  error: unknown,
  advance: boolean,
): Promise<void> {
  if ((await failed(context, event, error, 1, advance)) === 'retry') await attempt(context, event, 2, advance);
}

async function attempt(context: DeliveryContext, event: LoggedEvent, first: number, advance: boolean): Promise<void> {
  const { stream } = context;
  for (let attempt = first; !context.stopping.aborted; attempt++) {
    const started = performance.now();
    // Lanes commit each event without moving the cursor: stop before handling once another process holds the stream.
    if (!advance) stream.fence();
    try {
      await deliveryTransaction(context, async (handle) => {
        await handleUnseen(context, handle, [event]);
        if (advance) await stream.record([event]);
      });
    } catch (error) {
      if ((await failed(context, event, error, attempt, advance)) === 'done') return;
      continue;
    }
    if (advance) await stream.ack([event]);
    context.recorder.delivered([event], performance.now() - started);
    return;
  }
}

/** Counts a failed attempt; dead-letters the event after the last one, else waits out the backoff. */
async function failed(
  context: DeliveryContext,
  event: LoggedEvent,
  error: unknown,
  attempt: number,
  advance: boolean,
): Promise<'retry' | 'done'> {
  // Not the handler's failure: this process may no longer deliver, and the new holder delivers the event.
  if (error instanceof SubscriptionLeaseLostError) throw error;
  const { retry } = context.subscription;
  const retrying = attempt < retry.maxAttempts;
  context.recorder.failed(event.envelope, error, attempt, retrying);
  if (!retrying) {
    await deadLetter(context, event, error, attempt, advance);
    return 'done';
  }
  await pause(backoffDelay(retry, attempt), context.stopping);
  return 'retry';
}

/** Waits `ms`, or less when `signal` aborts first (a stopping engine does not wait out a backoff). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
