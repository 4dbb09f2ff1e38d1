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
}

/**
 * Runs `script` (TypeScript, through tsx) in a child process; with `killAfterMs`, kills it with SIGKILL that long after
 * it started.
 */
export function runWorker(script: string, env: Record<string, string>, killAfterMs?: number): Promise<WorkerExit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
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
