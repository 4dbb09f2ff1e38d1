import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { describe, expect, it, vi } from 'vitest';
import { createIntegration } from 'weft/internal';
import { gameSystems } from '../../src/game/index.js';

const KILLS = 10;
/** WEFT_SUBSCRIPTION_LEASE_MS of the workers. */
const LEASE_MS = 1000;
const WORKER = 'test/game/crash-demo-worker.ts';

interface Tables {
  weft_event_log: { type: string };
  weft_event_cursors: { subscription: string; holder: string | null };
  weft_state_entries: { system: string; key: string; value: string };
  economy_ledger: { movement_id: string; account: string; amount: number; reason: string };
  analytics_event_counts: { type: string; count: number };
  analytics_gold: { side: string; name: string; amount: number };
}

/** A worker started ahead of its turn: it loads the game's modules, then waits for `go` on stdin before it serves. */
interface WaitingWorker {
  /**
   * Lets it serve and play until it has printed `steps` completed steps, then kills it with SIGKILL: the kill lands
   * wherever the game is then (a command committing, events being handled), never at a guessed moment.
   */
  killAfterSteps(steps: number): Promise<{ signal: string | null; out: string }>;
  /** Ends it unused (the spare left after the last kill). */
  discard(): Promise<void>;
}

/**
 * Starts a worker that waits. The next one is started while the current one plays, so each kill costs the game's
 * start (database, migrations, systems) but not loading its modules through tsx, which the test's time went to.
 */
function startWorker(env: Record<string, string>): WaitingWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let seen = 0;
  let killAt = Number.POSITIVE_INFINITY;
  createInterface({ input: child.stdout }).on('line', (line) => {
    out += `${line}\n`;
    if (line.startsWith('step ') && ++seen === killAt) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ signal: string | null; out: string }>((resolve) =>
    child.on('exit', (_code, signal) => resolve({ signal, out })),
  );
  return {
    killAfterSteps: (steps) => {
      killAt = steps;
      child.stdin.write('go\n');
      return exited;
    },
    discard: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * The game killed with SIGKILL mid-session, 10 times, on one backend: `withDatabase` runs the test with the URL of a
 * database of its own (every worker and the final check open it), removed afterwards.
 */
export function gameCrashContract(
  name: string,
  withDatabase: (test: (url: string) => Promise<void>) => Promise<void>,
): void {
  describe(`the game, killed with SIGKILL mid-session: ${name}`, () => {
    it(`keeps the economy balanced, rewards each quest once and handles each event once over ${KILLS} kills`, async () => {
      await withDatabase(async (url) => {
        // A short lease: after each kill the next worker takes the killed one's subscriptions over within a second.
        const env = {
          WEFT_DATABASE_URL: url,
          WEFT_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
          WEFT_SUBSCRIPTION_LEASE_MS: String(LEASE_MS),
        };
        let steps = 0;
        let next = startWorker(env);
        try {
          for (let kill = 0; kill < KILLS; kill++) {
            const current = next;
            next = startWorker(env);
            // A session is about 25 steps: the kills land in every part of it, now and then in a second session.
            const after = 1 + Math.floor(Math.random() * 35);
            const run = await current.killAfterSteps(after);
            expect(run.signal, run.out).toBe('SIGKILL');
            steps += after;
          }
        } finally {
          await next.discard();
        }
        expect(steps).toBeGreaterThanOrEqual(KILLS);

        // A fresh process on the same file: its subscriptions catch up on what the killed ones left.
        await using weft = await createIntegration({
          database: url,
          monitoring: { logger: { level: 'silent' }, processMetrics: false },
          leaseMs: LEASE_MS,
        });
        const db = weft.db.withTables<Tables>().executor();
        // The killed workers' leases hold until they run out: the fresh process delivers a subscription only once it
        // has claimed it. Waits on progress (the cursor rows) until no subscription is held by a killed worker.
        const holders = async () =>
          (await db.selectFrom('weft_event_cursors').select('holder').execute()).flatMap((row) => row.holder ?? []);
        const killed = new Set(await holders());
        await weft.install(...gameSystems());
        await vi.waitFor(async () => expect((await holders()).filter((holder) => killed.has(holder))).toEqual([]), {
          timeout: 30_000,
          interval: 100,
        });
        // Handlers publish events of their own as they catch up (diplomacy after a fight), which the other
        // subscriptions must handle too: drains until a drain adds nothing to the log.
        const logSize = async () =>
          Number(
            (
              await db
                .selectFrom('weft_event_log')
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .executeTakeFirst()
            )?.n,
          );
        for (let before = -1, after = 0; after !== before;) {
          before = after;
          await weft.events.drain();
          after = await logSize();
        }

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
      // Each kill costs a start (1-4 s: database, migrations, the game installed; modules are loaded ahead) and the
      // wait for the killed worker's subscription leases to run out (LEASE_MS) before the next worker's events flow.
    }, 300_000);
  });
}
