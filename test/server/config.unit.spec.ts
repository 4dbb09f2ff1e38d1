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

describe('WEFT_WORLD_TICK_MS', () => {
  it('is one minute by default, a number of milliseconds when set, and 0 when switched off', () => {
    expect(readServeConfig({}).worldTickMs).toBe(60_000);
    expect(readServeConfig({ WEFT_WORLD_TICK_MS: '250' }).worldTickMs).toBe(250);
    expect(readServeConfig({ WEFT_WORLD_TICK_MS: '86400000' }).worldTickMs).toBe(86_400_000);
    expect(readServeConfig({ WEFT_WORLD_TICK_MS: '0' }).worldTickMs).toBe(0);
    expect(readServeConfig({ WEFT_WORLD_TICK_MS: 'off' }).worldTickMs).toBe(0);
  });

  it('refuses what is not 0, off or an integer from 100 to 86400000, in one sentence naming the setting', () => {
    for (const value of ['', '99', '86400001', '1.5', '-100', '1e3', '10s', ' 500', 'OFF', 'never']) {
      expect(() => readServeConfig({ WEFT_WORLD_TICK_MS: value }), JSON.stringify(value)).toThrow(
        `Invalid environment: setting WEFT_WORLD_TICK_MS: must be 0 or off (no ticks), or an integer of milliseconds from 100 to 86400000 (received: ${JSON.stringify(value)}).`,
      );
    }
  });
});

describe('WEFT_SUBSCRIPTION_LEASE_MS', () => {
  it('is five seconds by default and a number of milliseconds when set', () => {
    expect(readServeConfig({}).subscriptionLeaseMs).toBe(5000);
    expect(readServeConfig({ WEFT_SUBSCRIPTION_LEASE_MS: '500' }).subscriptionLeaseMs).toBe(500);
    expect(readServeConfig({ WEFT_SUBSCRIPTION_LEASE_MS: '600000' }).subscriptionLeaseMs).toBe(600_000);
  });

  it('refuses what is not an integer from 500 to 600000, in one sentence naming the setting', () => {
    for (const value of ['', '499', '600001', '0', '1.5', '-1000', '5s', 'off']) {
      expect(() => readServeConfig({ WEFT_SUBSCRIPTION_LEASE_MS: value }), JSON.stringify(value)).toThrow(
        `Invalid environment: setting WEFT_SUBSCRIPTION_LEASE_MS: must be an integer of milliseconds from 500 to 600000 (received: ${JSON.stringify(value)}).`,
      );
    }
  });
});
