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
        /^Invalid environment: setting WEFT_ADMIN_TOKEN: must be 32 to 1024 characters without spaces/,
      );
      if (token !== '') expect(message).not.toContain(token);
    }
  });
});

describe('HOST', () => {
  it('accepts IPv4 and IPv6 addresses and host names', () => {
    for (const host of [
      '127.0.0.1',
      '0.0.0.0',
      '::',
      '::1',
      'fd00::2',
      'localhost',
      'game-1.internal',
      'a1.example.com',
    ]) {
      expect(readServeConfig({ HOST: host }).host).toBe(host);
    }
  });

  it('refuses what can be neither, naming the setting in one sentence', () => {
    for (const host of [
      '256.1.1.1',
      '1.2.3',
      '10.0.0.1.5',
      '-bad',
      'a..b',
      '[::1]',
      'http://x',
      'under_score',
      '1:2',
    ]) {
      expect(() => readServeConfig({ HOST: host }), host).toThrow(
        `Invalid environment: setting HOST: must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name (localhost, game.internal) (received: ${JSON.stringify(host)}).`,
      );
    }
  });
});
