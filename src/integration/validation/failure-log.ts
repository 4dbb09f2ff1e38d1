import type { ValidationIssue } from '../errors/internal.js';

/** One failed validation, kept for inspection. */
export interface ValidationFailure {
  /** ISO time of the failure. */
  readonly time: string;
  readonly name: string;
  readonly issues: readonly ValidationIssue[];
  readonly correlationId?: string;
}

/**
 * A failure as stored: the time stays a number until someone reads it (formatting a date costs more than a small
 * validation).
 */
type StoredFailure = Omit<ValidationFailure, 'time'> & { readonly at: number };

/** The most recent failures, a bounded ring per schema name. */
export class FailureLog {
  readonly #size: number;
  readonly #rings = new Map<string, StoredFailure[]>();

  constructor(size: number) {
    this.#size = size;
  }

  add(failure: StoredFailure): void {
    let ring = this.#rings.get(failure.name);
    if (ring === undefined) {
      ring = [];
      this.#rings.set(failure.name, ring);
    }
    ring.push(failure);
    if (ring.length > this.#size) ring.shift();
  }

  /** Oldest first; for one name, or for all names merged by time. */
  list(name?: string): ValidationFailure[] {
    const stored =
      name !== undefined ? (this.#rings.get(name) ?? []) : [...this.#rings.values()].flat().sort((a, b) => a.at - b.at);
    return stored.map(({ at, ...failure }) => ({ ...failure, time: new Date(at).toISOString() }));
  }
}
