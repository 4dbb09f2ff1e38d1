import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

/** A `weft serve` on an in-memory database: its log messages as they come, and how it ended. */
function serve() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, PORT: '0', WEFT_DATABASE_URL: 'sqlite::memory:', WEFT_WORLD_TICK_MS: 'off' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const messages: string[] = [];
  const waiters: { prefix: string; resolve: (msg: string) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = (JSON.parse(line) as { msg?: string }).msg ?? '';
    messages.push(msg);
    for (const waiter of waiters.filter((w) => msg.startsWith(w.prefix))) waiter.resolve(msg);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const line = (prefix: string): Promise<string> =>
    new Promise((resolve, reject) => {
      waiters.push({ prefix, resolve });
      void exited.then((end) => reject(new Error(`exited (${JSON.stringify(end)}) before "${prefix}"`)));
    });
  return { child, messages, exited, line };
}

describe('weft serve and signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('exits at once with 1 on a second %s, and says so', async (signal) => {
    const server = serve();
    const url = new URL((await server.line('Server listening at ')).slice('Server listening at '.length));
    await server.line('Weft game server on ');
    // An idle connection holds the drain open for 2 s, so the second signal comes while it runs.
    const idle = connect(Number(url.port), url.hostname);
    idle.on('error', () => {});
    await new Promise((resolve) => idle.once('connect', resolve));
    const shuttingDown = server.line('shutting down');
    server.child.kill(signal);
    await shuttingDown;
    server.child.kill(signal);

    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.messages).toContain('second signal: exiting without waiting');
    idle.destroy();
  });

  it('shuts down cleanly on a SIGTERM sent the moment it listens', async () => {
    // Before the fix the handlers came after the start had resolved: a signal in between killed the process.
    for (let run = 0; run < 5; run++) {
      const server = serve();
      await server.line('Server listening at ');
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.messages).toContain('shut down cleanly');
    }
  });
});
