import { UnavailableError } from '../../errors/internal.js';

/**
 * Settles as `request` does, or rejects with UnavailableError as soon as `lost` aborts (the NATS connection dropped):
 * the client keeps a request sent before a drop waiting for its whole timeout, though no answer can come on the new
 * connection, and a caller waiting on it would hold delivery back that long after NATS is back.
 */
export function untilLost<T>(request: Promise<T>, lost: AbortSignal, what: string): Promise<T> {
  const failure = (): UnavailableError => new UnavailableError(`${what}: the NATS connection was lost.`);
  if (lost.aborted) {
    // Its own failure comes later, and is not the one reported.
    request.catch(() => undefined);
    return Promise.reject(failure());
  }
  let abort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    abort = () => reject(failure());
    lost.addEventListener('abort', abort, { once: true });
  });
  return Promise.race([request, aborted]).finally(() => lost.removeEventListener('abort', abort));
}
