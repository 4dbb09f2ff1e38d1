import { describe, expect, it } from 'vitest';
import { createDatabase } from 'weft/internal';
import { killedMidWork, runWorker, withSqliteFile } from '../crash-worker.js';

const RUNS = 20;
const ACCOUNTS = 50;
const INITIAL = 1000;

interface Tables {
  account: { id: number; balance: number };
  transfer_log: { id: string; payer: number; payee: number; amount: number };
}

describe('group commit survives SIGKILL', () => {
  it(
    'loses no acknowledged transfer and stores no part of one, killed 20 times mid-work',
    () =>
      withSqliteFile(async (url) => {
        const acknowledged = new Set<string>();
        let midWork = 0;
        for (let run = 0; run < RUNS; run++) {
          // On progress: after this many acknowledged transfers, wherever the worker has got to by then.
          const killAt = 20 + Math.floor(Math.random() * 150);
          const result = await runWorker(
            'test/database/group-commit-crash-worker.ts',
            { CRASH_DB_URL: url, RUN: String(run), TOTAL: '100000' },
            killAt,
          );
          expect(result.signal, result.out.slice(-2000)).toBe('SIGKILL');
          if (killedMidWork(result)) midWork++;
          for (const line of result.out.split('\n')) {
            if (line.startsWith('commit ')) acknowledged.add(line.slice('commit '.length));
          }
        }
        expect(midWork).toBe(RUNS);

        await using db = await createDatabase<Tables>({ url, sqlite: { groupCommit: false } });
        const log = await db.executor().selectFrom('transfer_log').selectAll().execute();
        const stored = new Set(log.map((row) => row.id));
        // None lost: every transfer the worker acknowledged is stored.
        expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
        // None partial: each account's balance is exactly what the stored transfers make it.
        const expected = new Map(Array.from({ length: ACCOUNTS }, (_, id) => [id, INITIAL]));
        for (const { payer, payee, amount } of log) {
          expected.set(payer, (expected.get(payer) ?? 0) - amount);
          expected.set(payee, (expected.get(payee) ?? 0) + amount);
        }
        const accounts = await db.executor().selectFrom('account').selectAll().orderBy('id').execute();
        expect(accounts).toEqual([...expected].map(([id, balance]) => ({ id, balance })));
        expect(accounts.every((account) => account.balance >= 0)).toBe(true);
      }),
    120_000,
  );
});
