import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

function run(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first log line whose message matches. */
function waitForLog(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const message = (JSON.parse(line) as { msg?: string }).msg ?? '';
      if (pattern.test(message)) resolve(message);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${String(code)} before logging ${String(pattern)}`)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function output(child: ChildProcess): Promise<string> {
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return exitOf(child).then(() => text);
}

describe('weft serve and weft migrate, as real processes', () => {
  let folder: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-e2e-'));
    env = { PORT: '0', WEFT_DATABASE_URL: `sqlite:${join(folder, 'data', 'weft.db')}`, WEFT_LOG_LEVEL: 'info' };
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('serves /health over a socket, then shuts down on SIGTERM and exits 0', async () => {
    const server = run(['serve'], env);
    const listening = await waitForLog(server, /^Server listening at /);
    const url = listening.replace('Server listening at ', '');
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'up', checks: { database: { status: 'up' } } });

    const exited = exitOf(server);
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('stops at start with one message naming a wrong setting', async () => {
    const child = run(['serve'], { ...env, PORT: 'eighty' });
    const text = await output(child);
    expect(child.exitCode).toBe(1);
    expect(text).toContain(
      'Invalid environment: setting PORT: must be an integer from 0 to 65535 (received: "eighty"). (WEFT_INVALID_CONFIG)',
    );
  });

  it('stops at start with one line naming HOST when it is not an address, or not one of this machine', async () => {
    const cases = [
      {
        host: '256.1.1.1',
        message:
          'weft: Invalid environment: setting HOST: must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name (localhost, game.internal) (received: "256.1.1.1"). (WEFT_INVALID_CONFIG)',
      },
      {
        host: '198.51.100.1',
        message:
          'weft: Cannot listen on HOST=198.51.100.1 PORT=0: the address is not one of this machine (EADDRNOTAVAIL). (WEFT_INVALID_CONFIG)',
      },
    ];
    for (const { host, message } of cases) {
      const child = run(['serve'], { ...env, HOST: host });
      const text = await output(child);
      expect(child.exitCode).toBe(1);
      const errors = text.split('\n').filter((line) => line.startsWith('weft: '));
      expect(errors).toEqual([message]);
      expect(text).not.toMatch(/getaddrinfo|\n\s+at /);
    }
  });

  it('stops at start with one line naming PORT when it is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const child = run(['serve'], { ...env, PORT: String(port) });
    const text = await output(child);
    taken.close();
    expect(child.exitCode).toBe(1);
    expect(text).toContain(
      `weft: Cannot listen on HOST=127.0.0.1 PORT=${port}: the port is in use (EADDRINUSE). (WEFT_INVALID_CONFIG)`,
    );
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('applied the migrations at start, Weft’s and the game’s, and reports them on the same URL; down reverts, up reapplies', async () => {
    const child = run(['migrate', 'status'], env);
    const text = await output(child);
    expect(child.exitCode).toBe(0);
    for (const migration of [
      'events/001_event_log',
      'state/001_state',
      'state/002_state_entries_by_time',
      'commands/001_command_results',
      'auth_user/001_accounts_and_sessions',
      'economy/001_ledger',
    ]) {
      expect(text).toContain(`${migration}  applied`);
    }
    // Down reverts the last migrations applied (the game systems', installed after Weft's own parts).
    const down = run(['migrate', 'down', '--steps', '2'], env);
    const reverted = [...(await output(down)).matchAll(/^reverted (\S+)$/gm)].map((m) => m[1] ?? '');
    expect(reverted).toHaveLength(2);
    const afterDown = await output(run(['migrate', 'status'], env));
    for (const name of reverted) expect(afterDown).toContain(`${name}  pending`);
    expect(afterDown).toContain('events/001_event_log  applied');
    const reapplied = await output(run(['migrate', 'up'], env));
    for (const name of reverted) expect(reapplied).toContain(`applied ${name}`);
  });
});
