import type { Answers, Tally } from './transfer-protocol.js';

/** What a run's check found: whether it passed, and each failed condition in one sentence. */
export interface CheckResult {
  readonly checked: boolean;
  readonly problems: readonly string[];
}

/**
 * The check after a run (warm-up and measurement): the gold in all accounts is what was seeded and none is negative,
 * the transfers the peer recorded during the run are the 2xx answers (plus at most the requests cut unanswered when the
 * load stopped, which the server may have done), and every answer was a 2xx or a 409 (no 5xx, no socket errors).
 */
export function checkRun(before: Tally, after: Tally, answers: Answers, seededTotal: number): CheckResult {
  const problems: string[] = [];
  if (after.total !== seededTotal)
    problems.push(`the accounts hold ${after.total} gold, not the ${seededTotal} seeded`);
  if (after.negative > 0) problems.push(`${after.negative} account(s) below zero`);
  const recorded = after.recorded - before.recorded;
  if (recorded < answers.ok || recorded > answers.ok + answers.unanswered) {
    problems.push(
      `${recorded} transfers recorded for ${answers.ok} answered 2xx` +
        (answers.unanswered > 0 ? ` (and ${answers.unanswered} cut unanswered at the end)` : ''),
    );
  }
  if (after.stuck > 0) {
    problems.push(
      `${after.stuck} request(s) still in work in the server long after the load stopped` +
        (after.diagnosis === undefined ? '' : ` (${after.diagnosis})`),
    );
  }
  const other = Object.entries(answers.other).filter(([, count]) => count > 0);
  if (other.length > 0)
    problems.push(`answers other than 2xx and 409: ${other.map(([status, n]) => `${n} x ${status}`).join(', ')}`);
  if (answers.errors > 0) problems.push(`${answers.errors} socket error(s) or timeout(s)`);
  return { checked: problems.length === 0, problems };
}
