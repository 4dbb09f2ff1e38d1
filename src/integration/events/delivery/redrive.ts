import type { EventEnvelope } from '../envelope.js';
import { describeFailure } from './dead-letter.js';
import type { DeliveryContext } from './delivery-context.js';
import { deliveryTransaction } from './delivery-transaction.js';

/**
 * Runs a dead-lettered event through the subscription's handler again, in one transaction with its
 * inbox row and the dead letter's removal. Resolves true when it went through; a new failure is
 * recorded on the dead letter (error, attempts) and resolves false. The stream is not involved:
 * its position moved past the event when it was parked.
 */
export async function redrive(
  context: DeliveryContext,
  deadLetterId: string,
  envelope: EventEnvelope,
  attempts: number,
): Promise<boolean> {
  const { db } = context;
  try {
    // Flushed to disk (not the subscription's durability): an operator's redrive is not redone after a power loss.
    await deliveryTransaction(
      context,
      async (handle) => {
        await handle([envelope]);
        await context.inbox.recordOnce(envelope);
        await db.executor().deleteFrom('weft_dead_letters').where('id', '=', deadLetterId).execute();
      },
      { durability: 'full' },
    );
  } catch (error) {
    await db
      .executor()
      .updateTable('weft_dead_letters')
      .set({ error: describeFailure(error), attempts: attempts + 1 })
      .where('id', '=', deadLetterId)
      .execute();
    context.recorder.redriveFailed(envelope, error);
    return false;
  }
  context.recorder.redriven(envelope);
  return true;
}
