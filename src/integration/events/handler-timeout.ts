import { TimeoutError } from '../errors/internal.js';
import type { EventEnvelope } from './envelope.js';

/** A subscription's handler timeout when none is given. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

/**
 * Settles like `run`, or rejects with a TimeoutError once `timeoutMs` passes first; `expired` hears that error first
 * (a durable delivery abandons its transaction with it). The handler is not stopped: it is no longer waited for.
 */
export function withHandlerTimeout<T>(
  run: Promise<T>,
  timeoutMs: number,
  subscription: string,
  event: EventEnvelope,
  expired?: (error: TimeoutError) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new TimeoutError(
        `The handler of subscription "${subscription}" ran past its timeoutMs (${timeoutMs} ms) on event ${event.id} (${event.type}).`,
        { details: { subscription, eventId: event.id, type: event.type, timeoutMs } },
      );
      expired?.(error);
      reject(error);
    }, timeoutMs);
    run.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
