import type { ValidationIssue } from '../errors/internal.js';

/** One failed validation, kept for inspection. */
export interface ValidationFailure {
  /** ISO time of the failure. */
  readonly time: string;
  readonly name: string;
  /** The issues kept: at most a hundred, fewer when they would not fit the log's bytes for this name. */
  readonly issues: readonly ValidationIssue[];
  /** Issues of this failure that were found but not kept. */
  readonly omittedIssues: number;
  readonly correlationId?: string;
}

/**
 * A failure as stored: the time stays a number until someone reads it (formatting a date costs more than a small
 * validation), with its approximate size.
 */
type StoredFailure = Omit<ValidationFailure, 'time'> & { readonly at: number; readonly bytes: number };

/** What a failure costs to keep besides its issues' text: the record, its arrays, the time. */
const FAILURE_OVERHEAD = 200;
/** The same for one issue: the object, its path array. */
const ISSUE_OVERHEAD = 100;

/**
 * The most recent failures: a bounded ring per schema name, bounded both in failures (`size`) and in
 * the approximate bytes their issues hold (`maxBytes`), so hostile input cannot make it grow.
 */
export class FailureLog {
  readonly #size: number;
  readonly #maxBytes: number;
  readonly #rings = new Map<string, { failures: StoredFailure[]; bytes: number }>();

  constructor(size: number, maxBytes: number) {
    this.#size = size;
    this.#maxBytes = maxBytes;
  }

  /** Keeps a failure, dropping the oldest of its name (and, when it alone is too large, its last issues). */
  add(failure: Omit<StoredFailure, 'bytes'>): void {
    let ring = this.#rings.get(failure.name);
    if (ring === undefined) {
      ring = { failures: [], bytes: 0 };
      this.#rings.set(failure.name, ring);
    }
    const stored = this.#fitted(failure);
    ring.failures.push(stored);
    ring.bytes += stored.bytes;
    while (ring.failures.length > this.#size || ring.bytes > this.#maxBytes) {
      const oldest = ring.failures.shift();
      if (oldest === undefined) break;
      ring.bytes -= oldest.bytes;
    }
  }

  /** Oldest first; for one name, or for all names merged by time. */
  list(name?: string): ValidationFailure[] {
    const stored =
      name !== undefined
        ? (this.#rings.get(name)?.failures ?? [])
        : [...this.#rings.values()].flatMap((ring) => ring.failures).sort((a, b) => a.at - b.at);
    return stored.map(({ at, bytes: _bytes, ...failure }) => ({ ...failure, time: new Date(at).toISOString() }));
  }

  /** The failure with as many of its issues as fit in the bytes of one name, and its size. */
  #fitted(failure: Omit<StoredFailure, 'bytes'>): StoredFailure {
    let bytes = FAILURE_OVERHEAD;
    let kept = 0;
    for (const issue of failure.issues) {
      const size = issueBytes(issue);
      if (bytes + size > this.#maxBytes) break;
      bytes += size;
      kept++;
    }
    if (kept === failure.issues.length) return { ...failure, bytes };
    return {
      ...failure,
      issues: failure.issues.slice(0, kept),
      omittedIssues: failure.omittedIssues + failure.issues.length - kept,
      bytes,
    };
  }
}

/** Roughly what an issue holds: two bytes a character of its texts and path keys, plus its objects. */
function issueBytes(issue: ValidationIssue): number {
  let characters = issue.pathText.length + issue.code.length + issue.message.length;
  characters += (issue.expected?.length ?? 0) + (issue.received?.length ?? 0);
  for (const key of issue.path) characters += typeof key === 'string' ? key.length : 8;
  return ISSUE_OVERHEAD + 2 * characters;
}
