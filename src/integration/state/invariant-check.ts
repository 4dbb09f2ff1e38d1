import { issue, type ValidationIssue } from '../validation/internal.js';

/** What an invariant answers: true passes; false, or a message saying why, fails. */
type Outcome = boolean | string;

/**
 * Runs one named check (an entry or cross-system invariant) and reports its failure as an issue:
 * undefined when it passes; otherwise an issue naming it, with its message or the error it threw.
 * A throwing check fails rather than escapes, so one broken invariant cannot hide the others.
 * The one place Weft turns a check into a report: writes, transactions and `validateState` use it.
 */
export function invariantIssue(name: string, check: () => Outcome): ValidationIssue | undefined;
export function invariantIssue(name: string, check: () => Promise<Outcome>): Promise<ValidationIssue | undefined>;
export function invariantIssue(
  name: string,
  check: () => Outcome | Promise<Outcome>,
): ValidationIssue | undefined | Promise<ValidationIssue | undefined> {
  let outcome: Outcome | Promise<Outcome>;
  try {
    outcome = check();
  } catch (error) {
    return failed(name, error);
  }
  if (typeof outcome === 'object') {
    return outcome.then(
      (settled) => judged(name, settled),
      (error: unknown) => failed(name, error),
    );
  }
  return judged(name, outcome);
}

function judged(name: string, outcome: Outcome): ValidationIssue | undefined {
  if (outcome === true) return undefined;
  return issue([], 'invariant', `${name}${typeof outcome === 'string' ? `: ${outcome}` : ' failed'}`);
}

function failed(name: string, error: unknown): ValidationIssue {
  return issue([], 'invariant', `${name}: ${error instanceof Error ? error.message : String(error)}`);
}
