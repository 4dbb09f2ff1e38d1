import { performance } from 'node:perf_hooks';
import type { EventEnvelope, LoggedEvent } from '../envelope.js';
import type { DeliveryContext } from './delivery-context.js';
import { retryFailed } from './deliver-one.js';
import { SubscriptionLeaseLostError } from '../subscription-lease.js';
import { deliveryTransaction } from './delivery-transaction.js';
import { handleUnseen } from './handle-unseen.js';

/** A handler that failed in a group: its event (the first of its batch), where it stands in the group, and why. */
interface Failure {
  readonly event: LoggedEvent;
  readonly index: number;
  readonly error: unknown;
}

/**
 * Delivers a group of events (what the stream handed over), in log order. The common case first:
 * all of them in one transaction with no savepoints. When a handler fails, that rolls back whole;
 * the events before the failing one then go again, each in a savepoint of one transaction, and the
 * failing one is retried on its own (its failed try counting as its first attempt), then the rest
 * of the group the same way.
 */
export async function deliverGroup(context: DeliveryContext, events: readonly LoggedEvent[]): Promise<void> {
  const { batchSize } = context.subscription;
  for (let next = 0; next < events.length && !context.stopping.aborted;) {
    const rest = next === 0 ? events : events.slice(next);
    // One batch has nothing to gain from the quick try: it goes straight to the careful way, which needs no savepoint
    // for it.
    const quick = rest.length > batchSize ? await allAtOnce(context, rest) : 'untried';
    if (quick === 'delivered') return;
    // The events before the one that failed (all of them when that is not known) go one savepoint each.
    const before = quick === 'untried' || quick.index === -1 ? rest : rest.slice(0, quick.index);
    let failure = before.length === 0 ? undefined : await oneSavepointEach(context, before);
    if (failure === undefined) {
      if (quick === 'untried' || quick.index === -1) return;
      const event = rest[quick.index];
      if (event === undefined) return;
      failure = { event, index: quick.index, error: quick.error };
    }
    // Stopped part way: what is not acknowledged comes again, in order.
    if (context.stopping.aborted) return;
    // The event that failed gets transactions of its own: retries, then the dead-letter table.
    await retryFailed(context, failure.event, failure.error, true);
    next += failure.index + 1;
  }
}

/**
 * Every event in one transaction with no savepoints: one inbox claim (check and insert), one
 * position move. When a handler fails, all of it rolls back (the handlers' writes with it) and
 * this returns the failing event's index and error (its first attempt); index -1 when something
 * other than a handler failed.
 */
async function allAtOnce(
  context: DeliveryContext,
  events: readonly LoggedEvent[],
): Promise<'delivered' | { index: number; error: unknown }> {
  const { stream } = context;
  const started = performance.now();
  let running: EventEnvelope | undefined;
  try {
    await deliveryTransaction(context, async (handle) => {
      await handleUnseen(context, handle, events, context.subscription.batchSize, (envelope) => (running = envelope));
      await stream.record(events);
    });
  } catch (error) {
    if (error instanceof SubscriptionLeaseLostError) throw error;
    const failing = running;
    return {
      index: failing === undefined ? -1 : events.findIndex((event) => event.envelope.id === failing.id),
      error,
    };
  }
  await stream.ack(events);
  context.recorder.delivered(events, (performance.now() - started) / events.length);
  return 'delivered';
}

/**
 * Handles the events in one transaction, each batch in a savepoint with its inbox rows, and moves
 * the position once: the inbox and position writes of many events share one commit (and one
 * flush). Stops at the first batch whose handler fails, committing those before it; returns that
 * one (its first event: the rest of a failed batch comes again after it).
 */
async function oneSavepointEach(
  context: DeliveryContext,
  events: readonly LoggedEvent[],
): Promise<Failure | undefined> {
  const { db, stream } = context;
  const size = context.subscription.batchSize;
  // One batch needs no savepoint: if it fails, the transaction has nothing else to keep.
  const alone = events.length <= size;
  let failure: Failure | undefined;
  const handled: Array<{ events: readonly LoggedEvent[]; durationMs: number }> = [];
  let through = 0;
  try {
    await deliveryTransaction(context, async (handle) => {
      for (let index = 0; index < events.length && !context.stopping.aborted; index += size) {
        const chunk = alone ? events : events.slice(index, index + size);
        const started = performance.now();
        try {
          if (alone) await handleUnseen(context, handle, chunk);
          else await db.transaction(() => handleUnseen(context, handle, chunk));
        } catch (error) {
          const first = chunk[0];
          if (first !== undefined) failure = { event: first, index, error };
          // Alone, the whole transaction rolls back; otherwise only the savepoint did, and those before it commit.
          if (alone) throw error;
          break;
        }
        handled.push({ events: chunk, durationMs: (performance.now() - started) / chunk.length });
        through = index + chunk.length;
      }
      if (through > 0) await stream.record(events.slice(0, through));
    });
  } catch (error) {
    if (failure === undefined || failure.error !== error) throw error;
    // The failure ended the whole transaction (a handler past its timeout abandons it): those before it did not
    // commit either, so they go again, without it.
    if (failure.index > 0) return (await oneSavepointEach(context, events.slice(0, failure.index))) ?? failure;
    return failure;
  }
  if (through > 0) await stream.ack(events.slice(0, through));
  for (const { events: chunk, durationMs } of handled) context.recorder.delivered(chunk, durationMs);
  return failure;
}
