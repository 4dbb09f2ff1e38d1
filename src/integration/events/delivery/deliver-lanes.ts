import type { LoggedEvent } from '../envelope.js';
import type { DeliveryContext } from './delivery-context.js';
import { deliverOne } from './deliver-one.js';

/**
 * Delivers a group of events in up to `concurrency` lanes: the events of one partition key go in
 * one lane, in log order; an event without a key is a lane of its own. Each event commits in its
 * own transaction with its inbox row; the stream's position moves past the whole group once every
 * lane is done (a crash before that brings the group again, and the inbox turns each away).
 */
export async function deliverInLanes(context: DeliveryContext, events: readonly LoggedEvent[]): Promise<void> {
  const lanes = byPartitionKey(events);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let lane = lanes[next++]; lane !== undefined && !context.stopping.aborted; lane = lanes[next++]) {
      for (const event of lane) await deliverOne(context, event, false);
    }
  };
  await Promise.all(Array.from({ length: Math.min(context.subscription.concurrency, lanes.length) }, worker));
  // Stopped part way: the group is not done, so its position stays; it comes again.
  if (events.length === 0 || context.stopping.aborted) return;
  await context.db.transaction(() => context.stream.record(events), context.handling);
  await context.stream.ack(events);
}

/** The events split by partition key, each lane in log order, lanes in the order of their first event. */
function byPartitionKey(events: readonly LoggedEvent[]): LoggedEvent[][] {
  const lanes: LoggedEvent[][] = [];
  const byKey = new Map<string, LoggedEvent[]>();
  for (const event of events) {
    const key = event.envelope.partitionKey;
    let lane = key === undefined ? undefined : byKey.get(key);
    if (lane === undefined) {
      lane = [];
      lanes.push(lane);
      if (key !== undefined) byKey.set(key, lane);
    }
    lane.push(event);
  }
  return lanes;
}
