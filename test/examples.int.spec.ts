import { describe, expect, it } from 'vitest';
import { quickStart } from '../examples/quick-start.js';
import { runTwoSystems } from '../examples/two-systems/main.js';

describe('the README examples', () => {
  it('runs the database example: moves gold atomically and reports a duplicate key as WEFT_CONFLICT', async () => {
    expect(await quickStart()).toEqual({ ann: 70, bob: 30, duplicate: 'WEFT_CONFLICT' });
  });

  it('runs two systems together: a command, a cross-system event, typed state, a repeat that spends nothing', async () => {
    expect(await runTwoSystems()).toEqual({
      first: 90,
      retried: 90,
      broke: 'WEFT_VALIDATION',
      tally: { spent: 110, badges: ['patron'] },
    });
  });
});
