import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EventEnvelope, TransactionOptions } from 'weft/internal';
import type { DeliveryContext } from '../../src/integration/events/delivery/delivery-context.js';
import { deliveryTransaction } from '../../src/integration/events/delivery/delivery-transaction.js';

const EVENT: EventEnvelope = {
  id: 'e-1',
  type: 'crafting.item_crafted',
  version: 1,
  source: 'crafting',
  time: new Date(0).toISOString(),
  partitionKey: undefined,
  correlationId: 'c-1',
  causationId: undefined,
  traceparent: undefined,
  data: {},
};

/** One try of a transaction as the fake database keeps it: open, or given up (its code is refused from then on). */
interface Try {
  givenUp: boolean;
}

/**
 * A delivery context over a fake database whose `transaction` runs `tries` as the unit of work would: each try's work
 * in an async context of its own, where `inTransaction()` answers true while the try is open and throws once it was
 * given up. `handler` is the subscription's, with a 20 ms timeout.
 */
function contextOver(
  handler: () => Promise<void>,
  tries: (run: (attempt: Try) => Promise<unknown>, options: TransactionOptions) => Promise<unknown>,
): DeliveryContext {
  const current = new AsyncLocalStorage<Try>();
  return {
    subscription: { name: 'hung', timeoutMs: 20, handle: handler },
    recorder: { handling: () => undefined },
    handling: {},
    db: {
      inTransaction: () => {
        const attempt = current.getStore();
        if (attempt?.givenUp === true) throw new Error('refused: the try was given up');
        return attempt !== undefined;
      },
      transaction: (work: () => Promise<unknown>, options: TransactionOptions) =>
        tries((attempt) => current.run(attempt, work), options),
    },
  } as unknown as DeliveryContext;
}

describe('deliveryTransaction', () => {
  it('abandons the try whose handler runs past timeoutMs', async () => {
    let aborted: boolean | undefined;
    const context = contextOver(
      () => new Promise(() => undefined),
      async (run, options) => {
        await run({ givenUp: false }).catch(() => undefined);
        aborted = options.signal?.aborted;
      },
    );
    await deliveryTransaction(context, (handle) => handle([EVENT]));
    expect(aborted).toBe(true);
  });

  it('leaves a later try alone when a given-up try times out (a member that left its commit group runs anew)', async () => {
    let calls = 0;
    // The first call hangs, as a handler still waiting when its try leaves its group; the second ends at once.
    const handler = () => (++calls === 1 ? new Promise<void>(() => undefined) : Promise.resolve());
    const seen: boolean[] = [];
    const context = contextOver(handler, async (run, options) => {
      const first: Try = { givenUp: false };
      void run(first).catch(() => undefined);
      first.givenUp = true;
      // The new try starts after the first one's handler timeout fired, as it waits for the first try's code to end.
      await sleep(60);
      seen.push(options.signal?.aborted === true);
      await run({ givenUp: false });
      seen.push(options.signal?.aborted === true);
    });
    await deliveryTransaction(context, (handle) => handle([EVENT]));
    expect(calls).toBe(2);
    expect(seen).toEqual([false, false]);
  });
});
