import type { EventEnvelope } from '../envelope.js';
import { describeFailure } from './dead-letter.js';
import type { DeliveryContext } from './delivery-context.js';
import { deliveryTransaction } from './delivery-transaction.js';

/** The dead letter was gone when the redrive's transaction took it. */
class DeadLetterGone extends Error {}

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
        // Taken before the handler runs: a redrive of the same letter elsewhere, or a replay's rewind (which deletes
        // the subscription's dead letters before its reset), holds the row until it commits, and this one then finds
        // it gone and runs nothing. Deleted last, both redrives ran the handler (its effects twice), and a redrive that
        // committed inside a rewind left its effects past the reset with its inbox row deleted (counted again).
        const taken = await db
          .executor()
          .deleteFrom('weft_dead_letters')
          .where('id', '=', deadLetterId)
          .executeTakeFirst();
        if (Number(taken.numDeletedRows) !== 1) throw new DeadLetterGone();
        await handle([envelope]);
        await context.inbox.recordOnce(envelope);
      },
      { durability: 'full' },
    );
  } catch (error) {
    // Redriven, discarded or forgotten by a replay meanwhile: nothing ran, nothing to record.
    if (error instanceof DeadLetterGone) return false;
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
