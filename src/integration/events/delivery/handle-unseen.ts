import type { EventEnvelope, LoggedEvent } from '../envelope.js';
import type { DeliveryContext } from './delivery-context.js';
import type { TimedHandler } from './delivery-transaction.js';

/**
 * Runs the handler (`handle`: under the subscription's timeout) on the events the inbox does not hold yet (and the
 * filter keeps), `size` at a time (all at once by default: one batch), and records them in the inbox; inside the
 * caller's transaction. `running` hears which event's handler runs (undefined once all are done), so a
 * caller can tell which one failed.
 */
export async function handleUnseen(
  context: DeliveryContext,
  handle: TimedHandler,
  events: readonly LoggedEvent[],
  size = events.length,
  running?: (first: EventEnvelope | undefined) => void,
): Promise<void> {
  const { subscription } = context;
  const seen = await context.inbox.seen(events);
  const fresh: EventEnvelope[] = [];
  for (const { envelope } of events)
    if (!seen.has(envelope.id) && (subscription.filter?.(envelope) ?? true)) fresh.push(envelope);
  const oldest = fresh[0];
  if (oldest === undefined) return;
  context.recorder.starting(oldest);
  for (let index = 0; index < fresh.length; index += size) {
    const chunk = size >= fresh.length ? fresh : fresh.slice(index, index + size);
    running?.(chunk[0]);
    await handle(chunk);
  }
  running?.(undefined);
  await context.inbox.record(fresh);
}
