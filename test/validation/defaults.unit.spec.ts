import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validationManager } from 'weft/internal';

describe('the seed-style default validationManager', () => {
  it('registers and validates with the seed names', async () => {
    validationManager.registerSchema('seed.player', z.object({ name: z.string() }));
    expect(validationManager.validate('seed.player', { name: 'ann' })).toBe(true);
    expect(validationManager.validateData('seed.player', {})).toMatchObject({
      ok: false,
      issues: [{ pathText: '$.name' }],
    });
    expect(await validationManager.validateCrossSystem('seed.player', { name: 'bob' })).toMatchObject({ ok: true });
    expect(validationManager.getValidationErrors('seed.player')).toHaveLength(1);
    expect(validationManager.validateIntegration({ events: [{ type: 'seed.player' }] }).ok).toBe(true);
  });
});
