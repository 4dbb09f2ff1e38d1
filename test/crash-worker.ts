// What the crash tests share: a worker process to run and kill, and a database of their own.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresTestUrl } from 'weft/testing';

/** How a worker ended, with what it printed. */
export interface WorkerExit {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly out: string;
  /** Commits the worker reported (`commit ...` lines on stdout) before it ended. */
  readonly commits: number;
  /** Whether it printed `done`: it finished its work before it ended. */
  readonly finished: boolean;
}

/** A worker that ended on SIGKILL after its first reported commit and before finishing: the kill landed mid-work. */
export function killedMidWork(exit: WorkerExit): boolean {
  return exit.signal === 'SIGKILL' && exit.commits > 0 && !exit.finished;
}

/**
 * Runs `script` (TypeScript, through tsx) in a child process. A worker reports each commit with a `commit ...` line on
 * stdout and `done` when its work is over; with `killAtCommit`, the test kills it with SIGKILL once it has reported
 * that many commits (on progress, never on a guess of time): the kill lands wherever the worker has got to by then.
 */
export function runWorker(script: string, env: Record<string, string>, killAtCommit?: number): Promise<WorkerExit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let pending = '';
    let commits = 0;
    let finished = false;
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'done') finished = true;
        if (!line.startsWith('commit ')) continue;
        commits++;
        if (commits === killAtCommit) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, out, commits, finished }));
  });
}

/** Runs `test` with the URL of a SQLite file in a fresh folder, removed afterwards. */
export async function withSqliteFile(test: (url: string) => Promise<void>): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'weft-crash-'));
  try {
    await test(`sqlite:${join(folder, 'game.db')}`);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Runs `test` with the name of a fresh schema on the test PostgreSQL server, dropped afterwards. */
export async function withPostgresSchema(test: (schema: string) => Promise<void>): Promise<void> {
  const schema = `weft_crash_${randomBytes(4).toString('hex')}`;
  try {
    await test(schema);
  } finally {
    const client = new pg.Client({ connectionString: postgresTestUrl() });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  }
}
