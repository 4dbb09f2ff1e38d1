import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLIENTS = 64;

/** One GET on a keep-alive agent: the status, or the error code the client saw. */
function get(agent: Agent, url: string): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe('weft serve under load, on SIGTERM', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-shutdown-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('answers every request sent before it stopped accepting, refuses later ones cleanly, and exits 0', async () => {
    const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: { ...process.env, PORT: '0', WEFT_DATABASE_URL: `sqlite:${join(folder, 'weft.db')}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout }).on('line', (line) => {
        const msg = (JSON.parse(line) as { msg?: string }).msg ?? '';
        if (msg.startsWith('Server listening at ')) resolve(msg.slice('Server listening at '.length));
      });
      server.once('exit', (code) => reject(new Error(`exited with ${String(code)} before listening`)));
    });

    const statuses = new Map<number, number>();
    const errors = new Map<string, number>();
    const answered = new Array<number>(CLIENTS).fill(0);
    // Each client keeps one connection alive and sends on it in a loop until the server refuses it.
    const clients = Array.from({ length: CLIENTS }, async (_, i) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (;;) {
        const outcome = await get(agent, `${url}${i % 2 === 0 ? '/health' : '/health/live'}`);
        if ('status' in outcome) {
          statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
          answered[i]!++;
          continue;
        }
        errors.set(outcome.error, (errors.get(outcome.error) ?? 0) + 1);
        agent.destroy();
        return;
      }
    });
    // SIGTERM once every client's connection is established and in use, so all 64 are in the loop.
    while (answered.some((count) => count < 10)) await new Promise((resolve) => setTimeout(resolve, 10));
    server.kill('SIGTERM');
    await Promise.all(clients);

    expect(await exited).toBe(0);
    // Refused cleanly: a new connection the server no longer accepts. Never a reset on a request it had.
    expect(Object.fromEntries(errors)).toEqual({ ECONNREFUSED: CLIENTS });
    expect([...statuses.keys()].every((status) => status === 200 || status === 503)).toBe(true);
    expect(statuses.get(200)).toBeGreaterThanOrEqual(CLIENTS * 10);
  });
});
