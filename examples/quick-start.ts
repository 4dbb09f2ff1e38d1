// The README's database example, kept runnable: `npx tsx examples/quick-start.ts`.
import { ConflictError, Migrator, createDatabase, type Migration } from 'weft';

interface Tables {
  wallet: { player_id: string; gold: number };
}

const migrations: Migration[] = [
  {
    name: '001_wallet',
    up: (db) =>
      db.schema
        .createTable('wallet')
        .addColumn('player_id', 'text', (c) => c.primaryKey())
        .addColumn('gold', 'integer', (c) => c.notNull())
        .execute(),
    down: (db) => db.schema.dropTable('wallet').execute(),
  },
];

/** Code that takes no transaction handle: it joins whichever transaction is open around it. */
async function credit(
  db: Awaited<ReturnType<typeof createDatabase<Tables>>>,
  playerId: string,
  gold: number,
): Promise<void> {
  await db
    .executor()
    .updateTable('wallet')
    .set((eb) => ({ gold: eb('gold', '+', gold) }))
    .where('player_id', '=', playerId)
    .execute();
}

export async function quickStart(url = 'sqlite::memory:'): Promise<{ ann: number; bob: number; duplicate: string }> {
  await using db = await createDatabase<Tables>(url);
  await new Migrator(db).register('economy', migrations).up();

  await db
    .executor()
    .insertInto('wallet')
    .values([
      { player_id: 'ann', gold: 100 },
      { player_id: 'bob', gold: 0 },
    ])
    .execute();

  // Both updates commit together, or neither does.
  await db.transaction(async () => {
    await credit(db, 'ann', -30);
    await credit(db, 'bob', 30);
    db.afterCommit(() => process.stdout.write('transfer committed\n'));
  });

  // Driver errors arrive typed: a taken key is a ConflictError (HTTP 409).
  const duplicate = await db
    .executor()
    .insertInto('wallet')
    .values({ player_id: 'ann', gold: 1 })
    .execute()
    .then(
      () => 'inserted',
      (error: unknown) => (error instanceof ConflictError ? error.code : 'unexpected'),
    );

  const rows = await db.executor().selectFrom('wallet').select(['player_id', 'gold']).orderBy('player_id').execute();
  const gold = Object.fromEntries(rows.map((r) => [r.player_id, r.gold]));
  return { ann: gold.ann ?? -1, bob: gold.bob ?? -1, duplicate };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await quickStart(process.env.WEFT_DATABASE_URL))}\n`);
}
