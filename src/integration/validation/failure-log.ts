import type { ValidationIssue } from '../errors/index.js';

/** One failed validation, kept for inspection. */
export interface ValidationFailure {
  /** ISO time of the failure. */
  readonly time: string;
  readonly name: string;
  readonly issues: readonly ValidationIssue[];
  readonly correlationId?: string;
}

/** The most recent failures, a bounded ring per schema name. */
export class FailureLog {
  readonly #size: number;
  readonly #rings = new Map<string, ValidationFailure[]>();

  constructor(size: number) {
    this.#size = size;
  }

  add(failure: ValidationFailure): void {
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
    if (name !== undefined) return [...(this.#rings.get(name) ?? [])];
    return [...this.#rings.values()].flat().sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }
}
