import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { gameApp, type GameApp } from './http-harness.js';

// Passwords a user typed never reach the server's log, whatever was wrong with the request that carried them: a
// password too short for the rules, or a body that is not JSON, is often the user's real password (of this or another
// site).
describe('passwords and the log', () => {
  let game: GameApp;
  afterEach(() => game.close());

  async function loggedGame(): Promise<{ readonly log: () => string }> {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    game = await gameApp({ file: true, logger: { level: 'info', destination } });
    return { log: () => lines.join('') };
  }

  it('a sign-up refused for a short password says how long it was, never what it was', async () => {
    const { log } = await loggedGame();
    const password = 'Hunter2pw';
    const refused = await game.request({
      method: 'POST',
      url: '/auth/register',
      payload: { username: 'ann', password },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json<{ issues: Array<{ path: unknown[] }> }>().issues[0]?.path).toEqual(['password']);
    expect(refused.body).not.toContain(password);
    expect(log()).toContain('request refused');
    expect(log()).not.toContain(password);
  });

  it('a sign-in whose body is not JSON does not quote the body', async () => {
    const { log } = await loggedGame();
    const refused = await game.request({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: `{"username":"ann","password":'MySecretPass99'}`,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ detail: string }>().detail).toMatch(/^The body is not valid JSON/);
    expect(refused.body).not.toContain('MySecret');
    expect(log()).toContain('request refused');
    expect(log()).not.toContain('MySecret');
  });
});
