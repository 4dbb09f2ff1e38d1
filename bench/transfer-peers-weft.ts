// The Weft peers of the transfer benchmark. weft-minimal: a system made with the kit whose command does only the two
// balance updates, behind a plain Fastify route. weft-full: the real game as `weft serve` builds it, measured on the
// economy's transfer route (bearer token, validation, Idempotency-Key, ledger lines, history, durable event).
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import { z } from 'zod';
import { gameRoutes, gameSystems } from '../src/game/index.js';
import { ConflictError, MonitoringManager, createIntegration, type Integration } from '../src/integration/internal.js';
import { buildApp } from '../src/server/index.js';
import { plainTransferApp, type TransferOutcome } from './transfer-plain-app.js';
import {
  ACCOUNTS,
  POSTGRES_CONNECTIONS,
  STARTING_GOLD,
  type GameAccounts,
  type PeerServer,
} from './transfer-protocol.js';

/** The password of every benchmark player. */
const PASSWORD = 'correct horse battery';
/** Characters per player: the game's limit, so 10,000 characters take 1,000 players. */
const CHARACTERS_PER_PLAYER = 10;
/** Commands per seeding transaction: the seed is the same work as the game's own, without a disk flush per command. */
const SEED_BATCH = 250;
/** Sign-ups and sign-ins in flight at once while seeding (argon2 runs on libuv's threads). */
const SEED_CONCURRENCY = 16;

const quiet = { logger: { level: 'silent' as const }, processMetrics: false };

/** Runs `work` on each of `items`, at most `concurrency` at a time, keeping the order of the results. */
async function eachLimited<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Sums every entry of a slice, page by page: entries, gold, accounts below zero, versions written past the first. */
async function sliceTally<T>(
  weft: Integration,
  slice: string,
  balance: (value: T) => number,
): Promise<{ total: number; negative: number; writes: number; count: number }> {
  let count = 0;
  let total = 0;
  let negative = 0;
  let writes = 0;
  let cursor: string | undefined;
  do {
    const page = await weft.state.list<T>(slice, { limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    for (const entry of page.entries) {
      const gold = balance(entry.value);
      count++;
      total += gold;
      if (gold < 0) negative++;
      writes += entry.version - 1;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { total, negative, writes, count };
}

const Account = z.object({ balance: z.int() });
const TransferInput = z.object({ from: z.int().min(0), to: z.int().min(0), amount: z.int().min(1) });
const TransferOutput = z.object({ from: z.int(), to: z.int() });

/** weft-minimal: a `bank` system (one slice, one command doing the two updates) on a SQLite file, synchronous FULL. */
export async function weftMinimalPeer(file: string): Promise<PeerServer> {
  const weft = await createIntegration({ database: `sqlite:${file}`, monitoring: quiet });
  const bank = weft.system('bank');
  const accounts = bank.state.slice('accounts', { schema: Account });
  const transfer = bank.command(
    'transfer',
    { input: TransferInput, output: TransferOutput },
    async ({ from, to, amount }) => {
      const source = await accounts.update(String(from), (a) => {
        if (a.balance < amount) throw new ConflictError('Not enough gold.', { details: { account: from } });
        return { balance: a.balance - amount };
      });
      const target = await accounts.update(String(to), (a) => ({ balance: a.balance + amount }));
      return { from: source.value.balance, to: target.value.balance };
    },
  );
  for (let first = 0; first < ACCOUNTS; first += SEED_BATCH * 4) {
    await weft.transaction(async () => {
      for (let id = first; id < Math.min(ACCOUNTS, first + SEED_BATCH * 4); id++)
        await accounts.create(String(id), { balance: STARTING_GOLD });
    });
  }
  await weft.events.drain();
  const app = plainTransferApp(async (body): Promise<TransferOutcome> => {
    try {
      return { status: 200, ...(await weft.execute(transfer, body)) };
    } catch (error) {
      // Not enough gold is an answer; a conflict that outlived its retries (WEFT_TRANSACTION_CONFLICT) is a failure.
      if (error instanceof ConflictError && error.code === 'WEFT_CONFLICT') return { status: 409 };
      throw error;
    }
  });
  return {
    app,
    route: 'plain',
    async tally() {
      const { total, negative, writes } = await sliceTally<z.infer<typeof Account>>(
        weft,
        'bank.accounts',
        (a) => a.balance,
      );
      return { total, negative, recorded: writes / 2 };
    },
    close: () => weft.close(),
  };
}

/** Where weft-full keeps its data: a SQLite file, or a new PostgreSQL schema its close drops. */
export type FullDatabase = { readonly sqlite: string } | { readonly postgres: string; readonly schema: string };

/**
 * weft-full: every game system installed, the app as `weft serve` builds it but for the rate limits (the load comes
 * from one address; `rateLimits` is the app's documented setting), seeded through the game's own commands in-process:
 * 1,000 players sign up and in, each makes 10 characters (whose wallets the economy opens on `character.created`),
 * and each wallet is credited STARTING_GOLD as loot.
 */
export async function weftFullPeer(database: FullDatabase): Promise<PeerServer> {
  const monitoring = new MonitoringManager(quiet);
  const weft = await createIntegration({
    database:
      'sqlite' in database
        ? `sqlite:${database.sqlite}`
        : { url: database.postgres, postgres: { schema: database.schema, pool: { max: POSTGRES_CONNECTIONS } } },
    monitoring,
  });
  // The compiled bench lives in .bench-build/bench, where no content was copied: read the source folder's.
  await weft.install(
    ...gameSystems({ contentFolder: fileURLToPath(new URL('../../src/game/content/', import.meta.url)) }),
  );
  weft.assertWired();
  const game = await seedGame(weft);
  const app = buildApp({
    monitoring,
    state: weft.state,
    game: { weft, routes: gameRoutes, rateLimits: { auth: 1e9, command: 1e9 } },
  });
  return {
    app,
    route: 'game',
    game,
    async tally() {
      const wallets = await sliceTally<{ gold: number }>(weft, 'economy.wallets', (w) => w.gold);
      const { rows } = await sql<{ movements: number | string }>`
        select count(distinct movement_id) as movements from economy_ledger where reason = 'transfer'
      `.execute(weft.db.executor());
      return { total: wallets.total, negative: wallets.negative, recorded: Number(rows[0]?.movements ?? NaN) };
    },
    diagnose: () => `database pool: ${JSON.stringify(weft.db.poolStats())}`,
    async close() {
      await weft.close();
      if ('postgres' in database) {
        const client = new pg.Client({ connectionString: database.postgres });
        await client.connect();
        try {
          await client.query(`drop schema if exists "${database.schema}" cascade`);
        } finally {
          await client.end();
        }
      }
    },
  };
}

/** Seeds ACCOUNTS characters with wallets through the game's commands; returns who the load acts as. */
async function seedGame(weft: Integration): Promise<GameAccounts> {
  const players = Array.from({ length: Math.ceil(ACCOUNTS / CHARACTERS_PER_PLAYER) }, (_, i) => `payer_${i}`);
  const userIds = await eachLimited(players, SEED_CONCURRENCY, async (username) => {
    const { userId } = await weft.execute('auth_user.register', { username, password: PASSWORD });
    return userId;
  });
  const tokens = await eachLimited(players, SEED_CONCURRENCY, async (username) => {
    const { accessToken } = await weft.execute('auth_user.login', { username, password: PASSWORD });
    return accessToken;
  });
  const characterIds: string[] = [];
  const owners: number[] = [];
  for (let first = 0; first < ACCOUNTS; first += SEED_BATCH) {
    await weft.transaction(async () => {
      for (let i = first; i < Math.min(ACCOUNTS, first + SEED_BATCH); i++) {
        const owner = Math.floor(i / CHARACTERS_PER_PLAYER);
        const actor = { kind: 'user', id: userIds[owner] ?? '', roles: ['player'] } as const;
        const character = await weft.execute('character.create', { name: `Payer ${i}`, class: 'warrior' }, { actor });
        characterIds.push(character.id);
        owners.push(owner);
      }
    });
  }
  // The economy opens each wallet when it hears character.created; a delivery that failed (the database busy with the
  // seed) is retried later, after drain has returned, so wait until every wallet is there.
  await walletsOpened(weft, ACCOUNTS);
  for (let first = 0; first < ACCOUNTS; first += SEED_BATCH) {
    await weft.transaction(async () => {
      for (const characterId of characterIds.slice(first, first + SEED_BATCH))
        await weft.execute('economy.credit', { characterId, gold: STARTING_GOLD, source: 'loot' });
    });
  }
  await weft.events.drain();
  await analyzeAfterLoad(weft);
  return { characterIds, tokens, owners };
}

/**
 * PostgreSQL: fresh planner statistics for every table of the schema after the seed, what one does after a bulk load
 * (autovacuum would, within about a minute). Without them the tables that grew from empty during the seed are
 * planned as if still small: the inbox check then read every row of its subscription, 20 ms a statement, and the
 * peer ran at two thirds of its speed.
 */
async function analyzeAfterLoad(weft: Integration): Promise<void> {
  if (!weft.db.capabilities.concurrentWriters) return;
  const { rows } = await sql<{ tablename: string }>`
    select tablename from pg_tables where schemaname = current_schema()
  `.execute(weft.db.executor());
  for (const { tablename } of rows) await sql`analyze ${sql.id(tablename)}`.execute(weft.db.executor());
}

/** How many times seeding looks for the last wallets before it gives up (100 ms apart). */
const WALLET_CHECKS = 600;

/** Waits until `count` wallets are open: drains the deliveries, counts, and tries again while some are missing. */
async function walletsOpened(weft: Integration, count: number): Promise<void> {
  let open = 0;
  for (let check = 0; check < WALLET_CHECKS; check++) {
    await weft.events.drain();
    open = (await sliceTally<{ gold: number }>(weft, 'economy.wallets', (w) => w.gold)).count;
    if (open >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`only ${open} of ${count} wallets opened after ${WALLET_CHECKS} checks`);
}
