import { AsyncLocalStorage } from 'node:async_hooks';

/** The values of every slot set in the calling async flow: a frame is never changed once made. */
type Frame = ReadonlyMap<ContextSlot<unknown>, unknown>;

/**
 * The one AsyncLocalStorage behind every slot. Node 20 runs a hook of each AsyncLocalStorage on every promise the
 * process makes, so four of them (the unit of work, the state store, the command bus, the monitoring context) cost
 * four times one: a slot of one storage made `npm run bench -- transfer` (weft-minimal) about 5% faster.
 */
const frames = new AsyncLocalStorage<Frame>();

/**
 * One value carried along an async flow, with the part of AsyncLocalStorage's API Weft uses (`run`, `getStore`):
 * slots are independent of each other, and all of them share one storage.
 */
export class ContextSlot<T> {
  /** The value `run` gave in the calling async flow, or undefined outside one. */
  getStore(): T | undefined {
    return frames.getStore()?.get(this) as T | undefined;
  }

  /** Runs `fn` with `value` in this slot; the other slots keep the values of the flow around the call. */
  run<R>(value: T, fn: () => R): R {
    const outer = frames.getStore();
    const frame = new Map<ContextSlot<unknown>, unknown>(outer);
    frame.set(this, value);
    return frames.run(frame, fn);
  }
}
