import { TimeoutError } from '../errors/internal.js';
import { DeadlineQueue } from './deadline-queue.js';
import type { EventEnvelope } from './envelope.js';

/** A subscription's handler timeout when none is given. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

/** The runs of every subscription with the same timeout share a queue and its timer. */
const queues = new Map<number, DeadlineQueue>();

/** The deadlines of handler runs under `timeoutMs`: one queue per length, for the whole process. */
export function handlerDeadlines(timeoutMs: number): DeadlineQueue {
  let queue = queues.get(timeoutMs);
  if (queue === undefined) {
    queue = new DeadlineQueue(timeoutMs);
    queues.set(timeoutMs, queue);
  }
  return queue;
}

/** The error of a handler run past its subscription's `timeoutMs`. */
export function handlerTimeoutError(subscription: string, timeoutMs: number, event: EventEnvelope): TimeoutError {
  return new TimeoutError(
    `The handler of subscription "${subscription}" ran past its timeoutMs (${timeoutMs} ms) on event ${event.id} (${event.type}).`,
    { details: { subscription, eventId: event.id, type: event.type, timeoutMs } },
  );
}

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
  const deadlines = handlerDeadlines(timeoutMs);
  return new Promise<T>((resolve, reject) => {
    const deadline = deadlines.add(() => {
      const error = handlerTimeoutError(subscription, timeoutMs, event);
      expired?.(error);
      reject(error);
    });
    run.then(
      (value) => {
        deadlines.settle(deadline);
        resolve(value);
      },
      (error: unknown) => {
        deadlines.settle(deadline);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
