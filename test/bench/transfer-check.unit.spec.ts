import { describe, expect, it } from 'vitest';
import { checkRun } from '../../bench/transfer-check.js';
import type { Answers } from '../../bench/transfer-protocol.js';

const seeded = 10_000;
const before = { total: seeded, negative: 0, recorded: 100, stuck: 0 };
const answers: Answers = { ok: 50, conflicts: 2, other: {}, errors: 0, unanswered: 3 };

describe('the check after a transfer run', () => {
  it('passes when gold is conserved and the recorded transfers are the 2xx answers, up to the cut ones', () => {
    for (const recorded of [150, 151, 153])
      expect(checkRun(before, { total: seeded, negative: 0, recorded, stuck: 0 }, answers, seeded)).toEqual({
        checked: true,
        problems: [],
      });
  });

  it('fails on fewer recorded transfers than 2xx answers, or more than the cut requests explain', () => {
    for (const recorded of [149, 154]) {
      const result = checkRun(before, { total: seeded, negative: 0, recorded, stuck: 0 }, answers, seeded);
      expect(result.checked).toBe(false);
      expect(result.problems).toEqual([expect.stringMatching(/transfers recorded for 50 answered 2xx/)]);
    }
  });

  it('fails on gold made or lost, and on a negative account', () => {
    const result = checkRun(before, { total: seeded + 1, negative: 2, recorded: 150, stuck: 0 }, answers, seeded);
    expect(result.problems).toEqual([
      `the accounts hold ${seeded + 1} gold, not the ${seeded} seeded`,
      '2 account(s) below zero',
    ]);
  });

  it('fails on any 5xx or other status, and on socket errors, but not on 409s', () => {
    const result = checkRun(
      before,
      { total: seeded, negative: 0, recorded: 150, stuck: 0 },
      { ...answers, conflicts: 40, other: { '500': 1, '429': 0, '422': 2 }, errors: 1 },
      seeded,
    );
    expect(result.problems).toEqual([
      'answers other than 2xx and 409: 2 x 422, 1 x 500',
      '1 socket error(s) or timeout(s)',
    ]);
  });

  it('fails when requests were still in work in the server long after the load stopped', () => {
    const after = { total: seeded, negative: 0, recorded: 150, stuck: 43, diagnosis: 'pool: 16 in use' };
    expect(checkRun(before, after, answers, seeded).problems).toEqual([
      '43 request(s) still in work in the server long after the load stopped (pool: 16 in use)',
    ]);
  });
});
