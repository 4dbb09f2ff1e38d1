import { statSync } from 'node:fs';
import { UnavailableError } from '../errors/internal.js';

/**
 * How long one look at the database file holds. `npm run bench -- database` drove it: its Weft
 * one-row transaction takes about 25 µs on a quiet machine, and a look (`stat` of the path) costs
 * 2.0-2.1 µs, some 8 % of that at every BEGIN; rate-limited, a check costs 45-60 ns (measured apart
 * with `SqliteFileGuard.assertSame` in a loop, since the suite's noise on a shared machine, ±30 %,
 * hides both). The price: a delete is noticed up to 100 ms late, and a write begun in that window
 * may still be acknowledged and lost.
 */
export const FILE_CHECK_INTERVAL_MS = 100;

/**
 * Notices that the file at a SQLite database's path is no longer the one this process has open
 * (deleted, or replaced by another file): SQLite would go on writing into the unlinked file, and
 * every write acknowledged since would be gone at the next start. It compares the device and inode
 * recorded at open with a `stat` of the path, at most once per interval.
 */
export class SqliteFileGuard {
  readonly #path: string;
  readonly #target: string;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #dev: bigint;
  readonly #ino: bigint;
  readonly #onLost: () => void;
  #checkedAt = Number.NEGATIVE_INFINITY;
  /** Why the file at the path is not the one open, as of the last look; undefined while it is. */
  #lost: string | undefined;
  /** How `onLost` failed for the current loss, if it did: the cause of every refusal until the file is back. */
  #onLostFailure: unknown;

  /**
   * Records the file now at `path` (absolute); call it right after opening the database.
   * `onLost` runs once each time a look finds the file gone after it was in place.
   */
  constructor(
    path: string,
    target: string,
    options: { readonly intervalMs?: number; readonly now?: () => number; readonly onLost?: () => void } = {},
  ) {
    this.#path = path;
    this.#target = target;
    this.#intervalMs = options.intervalMs ?? FILE_CHECK_INTERVAL_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#onLost = options.onLost ?? (() => undefined);
    const opened = statSync(path, { bigint: true });
    this.#dev = opened.dev;
    this.#ino = opened.ino;
  }

  /** Throws UnavailableError when the file at the path is not the one open, as of a look at most one interval old. */
  assertSame(): void {
    const now = this.#now();
    if (now - this.#checkedAt >= this.#intervalMs) {
      const wasLost = this.#lost !== undefined;
      this.#lost = this.#look();
      this.#checkedAt = now;
      if (this.#lost === undefined) this.#onLostFailure = undefined;
      else if (!wasLost) this.#runOnLost();
    }
    if (this.#lost !== undefined) {
      throw new UnavailableError(
        `${this.#target} is unavailable: the file at the path is not the one open (${this.#lost}), so writes ` +
          'would be lost at the next start; the open file can still be saved (docs/database.md, "A SQLite file ' +
          'deleted or replaced while open").',
        this.#onLostFailure === undefined ? {} : { cause: this.#onLostFailure },
      );
    }
  }

  #runOnLost(): void {
    try {
      this.#onLost();
    } catch (error) {
      this.#onLostFailure = error;
    }
  }

  #look(): string | undefined {
    let current;
    try {
      current = statSync(this.#path, { bigint: true, throwIfNoEntry: false });
    } catch (error) {
      // A folder of the path removed or made unreadable: the file cannot be found there either.
      const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
      return `deleted, or its folder cannot be read: ${typeof code === 'string' ? code : String(error)}`;
    }
    if (current === undefined) return 'deleted';
    if (current.dev !== this.#dev || current.ino !== this.#ino) return 'replaced by another file';
    return undefined;
  }
}
