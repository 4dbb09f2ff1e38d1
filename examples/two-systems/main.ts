// Two systems working together through Weft: `npm run example:systems`.
import { createIntegration } from 'weft';
import { badges } from './badges.js';
import { wallet } from './wallet.js';

/** Runs the example on `database` and returns what a player would see. */
export async function runTwoSystems(database = 'sqlite::memory:') {
  await using weft = await createIntegration({
    database,
    monitoring: { logger: { level: 'warn' }, processMetrics: false },
  });
  await weft.install(wallet, badges);
  weft.assertWired();

  const ann = { kind: 'user', id: 'ann' } as const;
  await weft.execute('wallet.open', { playerId: 'ann', gold: 150 }, { actor: ann });
  const first = await weft.execute(
    'wallet.spend',
    { playerId: 'ann', gold: 60, on: 'sword' },
    { actor: ann, idempotencyKey: 'order-1' },
  );
  // The client timed out and sent it again: same key, same answer, no second payment.
  const retried = await weft.execute(
    'wallet.spend',
    { playerId: 'ann', gold: 60, on: 'sword' },
    { actor: ann, idempotencyKey: 'order-1' },
  );
  await weft.execute(
    'wallet.spend',
    { playerId: 'ann', gold: 50, on: 'shield' },
    { actor: ann, idempotencyKey: 'order-2' },
  );
  const broke = await weft
    .execute('wallet.spend', { playerId: 'ann', gold: 500, on: 'castle' }, { actor: ann, idempotencyKey: 'order-3' })
    .then(
      () => 'bought',
      (error: unknown) => (error instanceof Error && 'code' in error ? String(error.code) : 'unexpected'),
    );

  await weft.events.drain();
  const tally = await weft.state.get<{ spent: number; badges: string[] }>('badges.tallies', 'ann');
  return { first: first.gold, retried: retried.gold, broke, tally: tally?.value };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await runTwoSystems(process.env.WEFT_DATABASE_URL))}\n`);
}
