import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntegration } from 'weft';
import { gameSystems } from '../../src/game/index.js';
import { runCli } from './cli-process.js';
import { closedPort } from '../network/closed-port.js';

interface Counts {
  analytics_event_counts: { type: string; count: number };
}

interface Relay {
  weft_event_relay: { stream: string; seq: number; updated_at: string };
}

/**
 * `weft replay SUBSCRIPTION` as a real process, on a SQLite file the test plays on first: analytics' counts, made
 * wrong on purpose, are counted again from the log; what cannot be replayed is refused with a message and exit 1.
 */

describe('weft replay, as a real process', () => {
  let folder: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-replay-'));
    env = { WEFT_DATABASE_URL: `sqlite:${join(folder, 'weft.db')}`, WEFT_LOG_LEVEL: 'silent' };
    const migrated = await runCli(['migrate', 'up'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** The game on the test's file, as a server would have it: its events delivered before it closes. */
  async function withGame<T>(work: (weft: Awaited<ReturnType<typeof createIntegration>>) => Promise<T>): Promise<T> {
    await using weft = await createIntegration({
      database: env.WEFT_DATABASE_URL!,
      migrate: false,
      monitoring: { logger: { level: 'silent' }, processMetrics: false },
    });
    await weft.install(...gameSystems());
    const result = await work(weft);
    await weft.events.drain();
    return result;
  }

  const counts = (weft: Awaited<ReturnType<typeof createIntegration>>) =>
    weft.db
      .withTables<Counts>()
      .executor()
      .selectFrom('analytics_event_counts')
      .select(['type', 'count'])
      .orderBy('type')
      .execute()
      .then((rows) => rows.map((row) => `${row.type} ${Number(row.count)}`));

  /** Analytics' counts once what waits is delivered. */
  const delivered = async (weft: Awaited<ReturnType<typeof createIntegration>>) => {
    await weft.events.drain();
    return counts(weft);
  };

  it('counts analytics again from the log, and refuses what it cannot replay', async () => {
    const before = await withGame(async (weft) => {
      for (const username of ['ann', 'bob', 'cyd'])
        await weft.execute('auth_user.register', { username, password: 'a long enough password' });
      await weft.events.drain();
      const right = await counts(weft);
      // A bug in the projection's code counted wrong.
      await weft.db
        .withTables<Counts>()
        .executor()
        .updateTable('analytics_event_counts')
        .set((eb) => ({ count: eb('count', '+', 100) }))
        .execute();
      return right;
    });
    expect(before).toContain('auth_user.registered 3');

    const replayed = await runCli(['replay', 'analytics.tally'], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(/^Rewound analytics\.tally: .* every event up to #\d+ comes through it again/);
    expect(await withGame(delivered)).toEqual(before);

    const noReset = await runCli(['replay', 'economy.on_encounter_resolved'], env);
    expect(noReset.code).toBe(1);
    expect(noReset.stderr).toMatch(/declares no reset.*\(WEFT_CONFLICT\)/);
    const unknown = await runCli(['replay', 'nobody.here'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No durable subscription is named "nobody\.here".*\(WEFT_NOT_FOUND\)/);
    // On NATS the replay makes the subscription's consumer anew: a broker it cannot reach stops it before anything.
    const nats = await runCli(['replay', 'analytics.tally'], {
      ...env,
      WEFT_EVENTS_TRANSPORT: `nats://127.0.0.1:${await closedPort()}`,
    });
    expect(nats.code).toBe(1);
    expect(nats.stderr).toMatch(/NATS at nats:\/\/127\.0\.0\.1:\d+ is unreachable \(WEFT_EVENTS_TRANSPORT\)/);
    const missing = await runCli(['replay'], env);
    expect(missing.code).toBe(2);
    expect(await withGame(delivered)).toEqual(before);
  }, 120_000);

  it('refuses a database whose events travel on NATS, even from a shell without WEFT_EVENTS_TRANSPORT', async () => {
    // A NATS deployment's database: its relay keeps the position of the stream it feeds. The servers' consumers hold
    // their positions in the broker, so a rewind here would clear the counts for good.
    const before = await withGame(async (weft) => {
      await weft.db
        .withTables<Relay>()
        .executor()
        .insertInto('weft_event_relay')
        .values({ stream: 'WEFT_EVENTS_eu1', seq: 1, updated_at: new Date().toISOString() })
        .execute();
      return counts(weft);
    });
    try {
      const refused = await runCli(['replay', 'analytics.tally'], { ...env, WEFT_EVENTS_TRANSPORT: undefined });
      expect(refused.code, refused.stdout).toBe(1);
      expect(refused.stderr).toMatch(/events travel on NATS \(the relay fed stream WEFT_EVENTS_eu1.*\(WEFT_CONFLICT\)/);
      expect(await withGame(counts)).toEqual(before);
    } finally {
      await withGame((weft) => weft.db.withTables<Relay>().executor().deleteFrom('weft_event_relay').execute());
    }
  }, 120_000);

  it('refuses a database nobody migrated in one line, without a stack', async () => {
    // A new file (or a mistyped WEFT_DATABASE_URL) has no event log: the driver's error came out with its stack.
    const fresh = { ...env, WEFT_DATABASE_URL: `sqlite:${join(folder, 'fresh', 'weft.db')}` };
    const refused = await runCli(['replay', 'analytics.tally'], fresh);
    expect(refused.code, refused.stdout).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.split('\n')).toEqual([
      expect.stringMatching(/^weft: weft replay needs a migrated database: SQLite \S+ has \d+ of Weft's migrations/),
      '',
    ]);
    expect(refused.stderr).toContain(
      'pending (events/001_event_log first); run weft migrate up, or start weft serve on it, first. (WEFT_CONFLICT)',
    );
  }, 60_000);
});
