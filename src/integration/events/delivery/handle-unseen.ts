import type { EventEnvelope, LoggedEvent } from '../envelope.js';
import type { DeliveryContext } from './delivery-context.js';
import type { TimedHandler } from './delivery-transaction.js';

/**
 * Records in the inbox the events the filter keeps and runs the handler (`handle`: under the subscription's timeout) on
 * those it did not hold yet, `size` at a time (all at once by default: one batch); inside the caller's transaction.
 * `running` hears which event's handler runs (undefined once all are done), so a caller can tell which one failed.
 */
export async function handleUnseen(
  context: DeliveryContext,
  handle: TimedHandler,
  events: readonly LoggedEvent[],
  size = events.length,
  running?: (first: EventEnvelope | undefined) => void,
): Promise<void> {
  const { subscription } = context;
  const kept: EventEnvelope[] = [];
  for (const { envelope } of events) if (subscription.filter?.(envelope) ?? true) kept.push(envelope);
  // The inbox rows go in first, one statement for the check and the record: a handler that fails rolls them back.
  const claimed = await context.inbox.claim(kept);
  // Taken out of the set as they are kept: an id twice in one group is handled once.
  const fresh = kept.filter((envelope) => claimed.delete(envelope.id));
  const oldest = fresh[0];
  if (oldest === undefined) return;
  context.recorder.starting(oldest);
  for (let index = 0; index < fresh.length; index += size) {
    const chunk = size >= fresh.length ? fresh : fresh.slice(index, index + size);
    running?.(chunk[0]);
    await handle(chunk);
  }
  running?.(undefined);
}
