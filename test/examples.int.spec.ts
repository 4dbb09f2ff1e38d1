import { describe, expect, it } from 'vitest';
import { quickStart } from '../examples/quick-start.js';

describe('the README example', () => {
  it('runs: moves gold atomically and reports a duplicate key as WEFT_CONFLICT', async () => {
    expect(await quickStart()).toEqual({ ann: 70, bob: 30, duplicate: 'WEFT_CONFLICT' });
  });
});
