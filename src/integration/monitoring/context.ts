import { ContextSlot } from '../async-context/internal.js';
import { randomUUID } from 'node:crypto';

/** What every log line, event and span of one unit of work carries. */
export interface WeftContext {
  /** One id for everything one request or player action caused. */
  readonly correlationId: string;
  /** The id of the event or request that directly caused this work. */
  readonly causationId?: string;
  /** The game system doing the work (`crafting`). */
  readonly system?: string;
  /** W3C trace id, when the work is traced. */
  readonly traceId?: string;
  /** The current span's id within that trace. */
  readonly spanId?: string;
  /** True while history is being replayed. */
  readonly replay?: boolean;
}

const storage = new ContextSlot<WeftContext>();

/**
 * Runs `fn` with `context` as the current context; fields not given are inherited from the
 * context around the call (a field given as undefined clears it), and a correlation id is made
 * when there is none.
 * @example await runWithContext({ correlationId: request.headers['x-correlation-id'] }, () => handle(request))
 */
export function runWithContext<T>(context: Partial<WeftContext>, fn: () => T): T {
  const outer = storage.getStore();
  const merged: WeftContext = {
    ...outer,
    ...context,
    correlationId: context.correlationId ?? outer?.correlationId ?? randomUUID(),
  };
  return storage.run(merged, fn);
}

/** The context of the calling async flow, if any. */
export function currentContext(): WeftContext | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` with exactly `context` (no merging with the outer one): for hot paths that build the
 * whole context themselves, such as one context shared by every handler of an event.
 */
export function runInContext<T>(context: WeftContext, fn: () => T): T {
  return storage.run(context, fn);
}
