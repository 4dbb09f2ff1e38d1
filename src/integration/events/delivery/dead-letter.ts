import type { LoggedEvent } from '../envelope.js';
import { uuidv7 } from '../uuid.js';
import type { DeliveryContext } from './delivery-context.js';

/** What a dead letter keeps of a failure: the stack when there is one. */
export function describeFailure(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Parks the event in the dead-letter table with its error, in one transaction with its inbox row
 * (so a redelivery does not park it twice); with `advance`, the stream's position moves past it in
 * that transaction too, and it is acknowledged once that commits.
 */
export async function deadLetter(
  context: DeliveryContext,
  event: LoggedEvent,
  error: unknown,
  attempts: number,
  advance: boolean,
): Promise<void> {
  const { envelope } = event;
  const { stream } = context;
  await context.db.transaction(async (tx) => {
    await tx
      .insertInto('weft_dead_letters')
      .values({
        id: uuidv7(),
        subscription: context.subscription.name,
        event_id: envelope.id,
        event_seq: event.seq,
        type: envelope.type,
        envelope: JSON.stringify(envelope),
        error: describeFailure(error),
        attempts,
        correlation_id: envelope.correlationId,
        created_at: new Date().toISOString(),
      })
      .execute();
    await context.inbox.recordOnce(envelope);
    if (advance) await stream.record([event]);
  });
  if (advance) await stream.ack([event]);
  context.recorder.deadLettered(envelope, error, attempts);
}
