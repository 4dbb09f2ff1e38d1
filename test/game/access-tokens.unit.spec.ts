import { afterEach, describe, expect, it, vi } from 'vitest';
import { UnauthorizedError } from 'weft';
import { AccessTokens, newSigningSecret } from '../../src/game/systems/auth_user/tokens.js';

const who = { userId: 'u1', sessionId: 's1', roles: ['player' as const] };

describe('access tokens', () => {
  it('accepts a token again from memory until it expires, then refuses it', async () => {
    const tokens = new AccessTokens(newSigningSecret());
    const issued = Date.UTC(2026, 0, 1);
    const token = await tokens.sign(who, issued);
    expect(await tokens.verify(token, issued + 1000)).toEqual(who);
    expect(await tokens.verify(token, issued + 2000)).toEqual(who);
    await expect(tokens.verify(token, issued + 15 * 60 * 1000)).rejects.toThrow(/expired/);
    await expect(tokens.verify(token, issued + 1000)).resolves.toEqual(who);
  });

  it('refuses a token signed with another key, or altered, even after the right one was seen', async () => {
    const tokens = new AccessTokens(newSigningSecret());
    const now = Date.now();
    const token = await tokens.sign(who, now);
    await tokens.verify(token, now);
    const forged = await new AccessTokens(newSigningSecret()).sign(who, now);
    await expect(tokens.verify(forged, now)).rejects.toBeInstanceOf(UnauthorizedError);
    const [header, payload, signature] = token.split('.');
    const altered = `${header}.${payload}x.${signature}`;
    await expect(tokens.verify(altered, now)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('checks a new token once for all the requests that bring it at once, and a bad one fails them all', async () => {
    const tokens = new AccessTokens(newSigningSecret());
    const now = Date.now();
    const token = await tokens.sign(who, now);
    const checks = vi.spyOn(crypto.subtle, 'verify');
    const answers = await Promise.all(Array.from({ length: 20 }, () => tokens.verify(token, now)));
    expect(answers).toEqual(Array.from({ length: 20 }, () => who));
    expect(checks).toHaveBeenCalledTimes(1);
    const forged = await new AccessTokens(newSigningSecret()).sign(who, now);
    const refusals = await Promise.allSettled(Array.from({ length: 5 }, () => tokens.verify(forged, now)));
    expect(refusals.every((r) => r.status === 'rejected' && r.reason instanceof UnauthorizedError)).toBe(true);
    expect(checks).toHaveBeenCalledTimes(2);
    // A refused token is checked again when it comes again: nothing of a failed check is kept.
    await expect(tokens.verify(forged, now)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(checks).toHaveBeenCalledTimes(3);
  });
});
