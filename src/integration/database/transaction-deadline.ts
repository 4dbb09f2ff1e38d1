// A transaction's time limit (`timeoutMs`, `signal`): when it passes, the attempt is abandoned and the work
// that goes on is refused the database. The unit of work asks a Deadline per attempt.
import { TimeoutError, WeftError } from '../errors/internal.js';

/** The longest delay setTimeout keeps (a longer one fires at once). */
export const MAX_TIMER_MS = 2_147_483_647;

/** What work that goes on after its transaction was abandoned gets from the database: the same error, kept typed. */
export function refusedAfterAbandon(abandoned: Error): Error {
  return abandoned instanceof WeftError
    ? new WeftError(abandoned.code, `${abandoned.message} Its work may not use the database any more.`, {
        cause: abandoned,
        details: abandoned.details,
      })
    : new TimeoutError(
        `The transaction was abandoned (${abandoned.message}); its work may not use the database any more.`,
        {
          cause: abandoned,
        },
      );
}

/**
 * The end of one attempt set by `timeoutMs` or `signal`: `race` rejects once it passes, after marking the transaction
 * abandoned (its handle and its async context refuse the database from then on).
 */
export class Deadline {
  readonly #root: { abandoned: Error | undefined };
  readonly #scope: { done: boolean };
  readonly #signal: AbortSignal | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reject: ((error: Error) => void) | undefined;
  readonly #expired: Promise<never> | undefined;

  constructor(
    scope: { done: boolean; root: { abandoned: Error | undefined } },
    options: { readonly timeoutMs?: number; readonly signal?: AbortSignal },
  ) {
    this.#root = scope.root;
    this.#scope = scope;
    this.#signal = options.signal;
    const { timeoutMs } = options;
    if (timeoutMs === undefined && options.signal === undefined) return;
    this.#expired = new Promise<never>((_, reject) => (this.#reject = reject));
    // Rejections of an attempt that ended in time are never read.
    this.#expired.catch(() => undefined);
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(
        () =>
          this.#abandon(
            new TimeoutError(`A transaction ran past its timeoutMs (${timeoutMs} ms) and was rolled back.`, {
              details: { timeoutMs },
            }),
          ),
        timeoutMs,
      );
    }
    if (this.#signal?.aborted === true) this.#abandon(abortReason(this.#signal));
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** `work`, or the abandonment if it comes first. */
  race<T>(work: T | Promise<T>): T | Promise<T> {
    if (this.#expired === undefined) return work;
    if (this.#root.abandoned !== undefined) {
      // The abandonment is the outcome; what the work throws once refused the database is its consequence, not news.
      if (work instanceof Promise) work.catch(() => undefined);
      return Promise.reject(this.#root.abandoned);
    }
    return Promise.race([work, this.#expired]);
  }

  /** The attempt is over (committing or rolling back): the deadline no longer applies. */
  end(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#reject = undefined;
  }

  readonly #onAbort = (): void => {
    if (this.#signal !== undefined) this.#abandon(abortReason(this.#signal));
  };

  #abandon(error: Error): void {
    const reject = this.#reject;
    if (reject === undefined) return;
    this.end();
    this.#root.abandoned = error;
    this.#scope.done = true;
    reject(error);
  }
}

/** A signal's reason as an error: itself when it is one, else a TimeoutError saying it aborted. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new TimeoutError(`The transaction was abandoned: ${String(reason)}.`);
}
