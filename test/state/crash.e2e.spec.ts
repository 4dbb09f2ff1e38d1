import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createDatabase } from 'weft';
import { postgresAvailableForTests, postgresTestUrl } from 'weft/testing';

const KILLS = 20;
const START = 1_000_000;

/** Runs the worker; with `killAfterMs`, kills it with SIGKILL that long after it started. */
function runWorker(env: Record<string, string>, killAfterMs?: number): Promise<{ signal: NodeJS.Signals | null; code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/state/crash/worker.ts'], { env: { ...process.env, ...env, ...(killAfterMs === undefined ? {} : { LOOP: 'forever' }) }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

interface Tables {
  weft_state_entries: { system: string; key: string; value: string; version: number };
  weft_state_history: { transaction_id: string; system: string; key: string; version: number };
  weft_event_log: { type: string; data: string };
}

/** Kills the worker KILLS times at random moments, lets it finish once, then checks every transaction is all there or not at all. */
async function crashAndCheck(env: Record<string, string>, open: () => Promise<{ url: string; schema?: string }>): Promise<void> {
  for (let kill = 0; kill < KILLS; kill++) {
    // The first moments are start-up; the rest land anywhere in the loop of transactions.
    const result = await runWorker(env, 900 + Math.floor(Math.random() * 600));
    expect(result.signal, result.out).toBe('SIGKILL');
  }
  const final = await runWorker(env);
  expect(final.code, final.out).toBe(0);

  const target = await open();
  await using db = await createDatabase<Tables>(target.schema === undefined ? target.url : { url: target.url, postgres: { schema: target.schema } });
  const entries = await db.executor().selectFrom('weft_state_entries').select(['system', 'key', 'value', 'version']).execute();
  const value = (system: string, key: string) => JSON.parse(entries.find((e) => e.system === system && e.key === key)?.value ?? '{}') as { gold?: number; count?: number };
  const spent = value('economy', 'spent').gold ?? -1;
  // Every transaction moved one gold and counted once, in both systems, or did nothing.
  expect(value('economy', 'bank').gold).toBe(START - spent);
  expect(value('character', 'log').count).toBe(spent);
  expect(spent).toBeGreaterThan(50);
  const perTransaction = await db.executor().selectFrom('weft_state_history').select(['transaction_id', (eb) => eb.fn.countAll<number>().as('writes')]).groupBy('transaction_id').execute();
  const partial = perTransaction.filter((t) => Number(t.writes) !== 3);
  expect(partial).toEqual([]);
  expect(perTransaction).toHaveLength(spent + 1);
  // Each committed change published its state.changed event in the same transaction.
  const changed = await db.executor().selectFrom('weft_event_log').select((eb) => eb.fn.countAll<number>().as('count')).where('type', '=', 'state.changed').executeTakeFirstOrThrow();
  expect(Number(changed.count)).toBe(3 * (spent + 1));
}

const postgres = await postgresAvailableForTests();

describe('state transactions survive SIGKILL at random moments', () => {
  it('on a SQLite file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'weft-state-crash-'));
    try {
      const url = `sqlite:${join(folder, 'game.db')}`;
      await crashAndCheck({ CRASH_DB_URL: url }, () => Promise.resolve({ url }));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 300_000);

  it.runIf(postgres)('on PostgreSQL', async () => {
    const schema = `weft_state_crash_${randomBytes(4).toString('hex')}`;
    try {
      await crashAndCheck({ CRASH_DB_URL: postgresTestUrl(), CRASH_SCHEMA: schema }, () => Promise.resolve({ url: postgresTestUrl(), schema }));
    } finally {
      const client = new pg.Client({ connectionString: postgresTestUrl() });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  }, 300_000);
});
