import { describe, expect, it } from 'vitest';
import { readServeConfig } from '../../src/server/index.js';

describe('WEFT_ADMIN_TOKEN', () => {
  it('is read when it is long enough, and absent by default', () => {
    const token = 'k'.repeat(24) + '-0123456789';
    expect(readServeConfig({ WEFT_ADMIN_TOKEN: token }).adminToken).toBe(token);
    expect(readServeConfig({})).not.toHaveProperty('adminToken');
  });

  it('refuses a short token or one with spaces, naming the setting and never showing the value', () => {
    for (const token of ['secret', 'short-token-of-31-characters-xx', `${'k'.repeat(32)} with space`, '']) {
      let message = '';
      try {
        readServeConfig({ WEFT_ADMIN_TOKEN: token });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, JSON.stringify(token)).toMatch(
        /^Invalid environment: setting WEFT_ADMIN_TOKEN: must be at least 32 characters without spaces/,
      );
      if (token !== '') expect(message).not.toContain(token);
    }
  });
});
