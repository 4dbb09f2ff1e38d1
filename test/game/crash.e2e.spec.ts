import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { createIntegration } from 'weft/internal';
import { gameSystems } from '../../src/game/index.js';
import { withSqliteFile } from '../crash-worker.js';

const KILLS = 10;
const WORKER = 'test/game/crash-demo-worker.ts';

interface Tables {
  weft_event_log: { type: string };
  weft_state_entries: { system: string; key: string; value: string };
  economy_ledger: { movement_id: string; account: string; amount: number; reason: string };
  analytics_event_counts: { type: string; count: number };
  analytics_gold: { side: string; name: string; amount: number };
}

/**
 * Runs the worker until it has printed `steps` completed steps, then kills it with SIGKILL: the kill lands wherever
 * the game is then (a command committing, events being handled), never at a guessed moment.
 */
function killAfterSteps(env: Record<string, string>, steps: number): Promise<{ signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let seen = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      out += `${line}\n`;
      if (line.startsWith('step ') && ++seen === steps) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (_code, signal) => resolve({ signal, out }));
  });
}

describe('the game, killed with SIGKILL mid-session', () => {
  it(`keeps the economy balanced, rewards each quest once and handles each event once over ${KILLS} kills`, async () => {
    await withSqliteFile(async (url) => {
      const env = { WEFT_DATABASE_URL: url, WEFT_ADMIN_PASSWORD: randomBytes(12).toString('hex') };
      let steps = 0;
      for (let kill = 0; kill < KILLS; kill++) {
        // A session is about 25 steps: the kills land in every part of it, now and then in a second session.
        const after = 1 + Math.floor(Math.random() * 35);
        const run = await killAfterSteps(env, after);
        expect(run.signal, run.out).toBe('SIGKILL');
        steps += after;
      }
      expect(steps).toBeGreaterThanOrEqual(KILLS);

      // A fresh process on the same file: its subscriptions catch up on what the killed ones left.
      await using weft = await createIntegration({
        database: url,
        monitoring: { logger: { level: 'silent' }, processMetrics: false },
      });
      await weft.install(...gameSystems());
      await weft.events.drain();
      const db = weft.db.withTables<Tables>().executor();

      const audit = await weft.execute('economy.audit', {});
      expect(audit).toMatchObject({ balanced: true, ledgerSum: 0, mismatches: [] });
      const entries = await db.selectFrom('weft_state_entries').select(['system', 'key', 'value']).execute();
      const characters = entries.filter((e) => e.system === 'character.characters');
      expect(characters.length).toBeGreaterThan(0);
      // Every character got its wallet, and its starting gold once: character.created was handled once per character.
      expect(audit.wallets).toBe(characters.length);
      const ledger = await db
        .selectFrom('economy_ledger')
        .select(['movement_id', 'account', 'amount', 'reason'])
        .execute();
      const walletLines = (reason: string) =>
        ledger.filter((line) => line.reason === reason && line.account.startsWith('wallet:')).map((l) => l.account);
      const starting = walletLines('starting_gold');
      expect(new Set(starting).size).toBe(starting.length);
      expect(starting).toHaveLength(characters.length);

      // Each quest rewarded at most once per character: one quest_reward movement per rewarded quest, no more.
      const rewarded = new Map<string, number>();
      for (const entry of entries.filter((e) => e.system === 'quest.progress')) {
        const progress = JSON.parse(entry.value) as { characterId: string; status: string };
        if (progress.status === 'rewarded')
          rewarded.set(`wallet:${progress.characterId}`, (rewarded.get(`wallet:${progress.characterId}`) ?? 0) + 1);
      }
      const paid = new Map<string, number>();
      for (const account of walletLines('quest_reward')) paid.set(account, (paid.get(account) ?? 0) + 1);
      expect(paid).toEqual(rewarded);

      // Each event counted once by analytics, whatever the kills interrupted: its counts are the log's.
      const logged = await db
        .selectFrom('weft_event_log')
        .select(['type', (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy('type')
        .execute();
      const counted = await db
        .selectFrom('analytics_event_counts')
        .select(['type', (eb) => eb.fn.sum<number>('count').as('count')])
        .groupBy('type')
        .execute();
      const byType = (rows: ReadonlyArray<{ type: string; count: number }>) =>
        Object.fromEntries(rows.map((row) => [row.type, Number(row.count)]));
      expect(byType(counted)).toEqual(byType(logged));
      const startingGold = await db
        .selectFrom('analytics_gold')
        .select((eb) => eb.fn.sum<number>('amount').as('amount'))
        .where('side', '=', 'source')
        .where('name', '=', 'starting_gold')
        .executeTakeFirst();
      const ledgerStarting = ledger
        .filter((line) => line.account === 'source:starting_gold')
        .reduce((sum, line) => sum - Number(line.amount), 0);
      expect(Number(startingGold?.amount ?? 0)).toBe(ledgerStarting);
    });
    // Ten worker starts dominate (tsx, migrations, the game installed): 9 s each measured on a loaded machine.
  }, 300_000);
});
