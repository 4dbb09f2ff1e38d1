import { createHook } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ContextSlot } from 'weft/internal';

describe('ContextSlot', () => {
  it('is empty outside run, and carries its value through awaits, timers and callbacks inside it', async () => {
    const slot = new ContextSlot<string>();
    expect(slot.getStore()).toBeUndefined();
    const seen = await slot.run('a', async () => {
      const before = slot.getStore();
      await sleep(1);
      const afterTimer = slot.getStore();
      const inCallback = await new Promise<string | undefined>((resolve) =>
        setImmediate(() => resolve(slot.getStore())),
      );
      return [before, afterTimer, inCallback];
    });
    expect(seen).toEqual(['a', 'a', 'a']);
    expect(slot.getStore()).toBeUndefined();
  });

  it('keeps slots apart: setting one leaves the others as the flow around it has them', async () => {
    const transaction = new ContextSlot<string>();
    const command = new ContextSlot<number>();
    const seen = await transaction.run('tx-1', () =>
      command.run(7, async () => {
        const inner = await transaction.run('tx-2', () =>
          Promise.resolve([transaction.getStore(), command.getStore()]),
        );
        return [...inner, transaction.getStore(), command.getStore()];
      }),
    );
    expect(seen).toEqual(['tx-2', 7, 'tx-1', 7]);
  });

  it('keeps concurrent flows apart', async () => {
    const slot = new ContextSlot<number>();
    const flows = Array.from({ length: 20 }, (_, i) =>
      slot.run(i, async () => {
        await sleep(20 - i);
        return slot.getStore();
      }),
    );
    expect(await Promise.all(flows)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('gives the outer value back after a run that threw', () => {
    const slot = new ContextSlot<string>();
    slot.run('outer', () => {
      expect(() =>
        slot.run('inner', () => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(slot.getStore()).toBe('outer');
    });
  });

  it('makes one AsyncLocalStorage for any number of slots', () => {
    // Each enabled AsyncLocalStorage adds its own work to every promise the process makes; slots share one. Read from
    // Node 20's implementation (a symbol per storage on each promise); where AsyncContextFrame replaces it, none is.
    const storagesBefore = promiseHookStorages();
    const slots = Array.from({ length: 5 }, () => new ContextSlot<number>());
    const nested = slots.reduceRight<() => number>(
      (inner, slot, i) => () => slot.run(i, inner),
      () => promiseHookStorages(),
    );
    expect(nested()).toBeLessThanOrEqual(Math.max(storagesBefore, 1));
  });
});

/** How many AsyncLocalStorage instances hook a promise made now: each enabled one stores a symbol on it. */
function promiseHookStorages(): number {
  let count = 0;
  const hook = createHook({
    init(_id, _type, _trigger, resource: object) {
      count = Math.max(
        count,
        Object.getOwnPropertySymbols(resource).filter((s) => s.description === 'kResourceStore').length,
      );
    },
  }).enable();
  void Promise.resolve();
  hook.disable();
  return count;
}
