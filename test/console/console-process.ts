// Starts and stops test/console/console-server.ts as a real process on a real port.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A running console-server process. */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/** Starts the server (on `port`, or a free one) and resolves once it printed `ready <url>`. */
export function startConsoleServer(env: Record<string, string>, port = 0): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/console/console-server.ts'], {
      env: { ...process.env, ...env, CONSOLE_TEST_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.once('exit', (code) => reject(new Error(`console-server exited (${code}) before it was ready:\n${output}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('ready ')) return;
      const url = line.slice('ready '.length);
      resolve({
        url,
        port: Number(new URL(url).port),
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
