import { copyFile, mkdtemp, readdir, readlink, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError, createDatabase, type Database } from 'weft/internal';

interface Tables {
  player: { id: number; gold: number };
}

/** Longer than the interval between two checks of the file (at most 250 ms). */
const PAST_ONE_CHECK_MS = 300;

/**
 * Waits until the database's check of its file has run since the change (its ping then fails, or answers again):
 * on progress, not on a sleep, since a loaded machine may run the check later than its interval says.
 */
async function untilPing(db: Database<Tables>, outcome: 'fails' | 'answers'): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; await sleep(20)) {
    const failed = await db.ping().then(
      () => false,
      (error: unknown) => error instanceof UnavailableError,
    );
    if (failed === (outcome === 'fails')) return;
  }
  throw new Error(`the ping never ${outcome === 'fails' ? 'failed' : 'answered'} within 10 s`);
}

/** What a process sees at restart: the ids of `player` in the file now at `path` (none without the table). */
async function idsAfterRestart(path: string): Promise<number[]> {
  await using db = await createDatabase<Tables>(`sqlite:${path}`);
  const { rows } = await sql<{ n: number }>`select count(*) as n from sqlite_master where name = 'player'`.execute(
    db.executor(),
  );
  if (rows[0]?.n === 0) return [];
  return (await db.executor().selectFrom('player').select('id').orderBy('id').execute()).map((r) => r.id);
}

/** A SQLite database of its own at `path`, as a restored backup would be. */
async function anotherDatabase(path: string): Promise<void> {
  await using other = await createDatabase<Tables>(`sqlite:${path}`);
  await sql`create table player (id integer primary key, gold integer not null)`.execute(other.executor());
  await other.executor().insertInto('player').values({ id: 999, gold: 1 }).execute();
}

describe('a SQLite file deleted or replaced while the database is open', () => {
  let folder: string;
  let path: string;
  let db: Database<Tables>;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-deleted-'));
    path = join(folder, 'game.db');
    db = await createDatabase<Tables>(`sqlite:${path}`);
    await sql`create table player (id integer primary key, gold integer not null)`.execute(db.executor());
    for (let id = 1; id <= 10; id++) {
      await db.transaction((tx) => tx.insertInto('player').values({ id, gold: 10 }).execute());
    }
  });

  afterEach(async () => {
    await db.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** Tries 65 writes, as the report did; returns the ids acknowledged and the failures. */
  async function writeAfterwards(): Promise<{ acknowledged: number[]; failures: unknown[] }> {
    const acknowledged: number[] = [];
    const failures: unknown[] = [];
    for (let id = 100; id < 165; id++) {
      // Outside a transaction too: an autocommit statement is acknowledged just the same.
      const write =
        id % 5 === 0
          ? db.executor().insertInto('player').values({ id, gold: 1 }).execute()
          : db.transaction((tx) => tx.insertInto('player').values({ id, gold: 1 }).execute());
      await write.then(
        () => acknowledged.push(id),
        (error: unknown) => failures.push(error),
      );
    }
    return { acknowledged, failures };
  }

  it.each([
    ['deleted', () => rm(path)],
    [
      'replaced by another database',
      async () => {
        await anotherDatabase(join(folder, 'backup.db'));
        await rename(join(folder, 'backup.db'), path);
      },
    ],
  ])('%s: the health check fails, writes are refused, and nothing acknowledged is lost at restart', async (_, swap) => {
    await swap();
    await untilPing(db, 'fails');

    const ping = await db.ping().catch((e: unknown) => e);
    const { acknowledged, failures } = await writeAfterwards();
    await db.close();
    const afterRestart = await idsAfterRestart(path);

    // Before the fix: all 65 acknowledged, none there after the restart.
    expect(acknowledged.filter((id) => !afterRestart.includes(id))).toEqual([]);
    expect(acknowledged).toEqual([]);
    expect(failures).toHaveLength(65);
    for (const failure of [ping, ...failures]) {
      expect(failure).toBeInstanceOf(UnavailableError);
      expect(failure).toMatchObject({ code: 'WEFT_UNAVAILABLE', status: 503 });
      expect((failure as Error).message).toMatch(
        new RegExp(`SQLite ${path} is unavailable: the file at the path is not the one open \\((deleted|replaced)`),
      );
    }
  });

  it('leaves a replacement file as it was', async () => {
    await anotherDatabase(join(folder, 'backup.db'));
    await rename(join(folder, 'backup.db'), path);
    await untilPing(db, 'fails');
    await writeAfterwards();
    await db.close();
    expect(await idsAfterRestart(path)).toEqual([999]);
    expect((await readdir(folder)).sort()).toEqual(['game.db']);
  });

  it.runIf(process.platform === 'linux')(
    'keeps the whole database in the deleted file, which can be copied back while the process runs',
    async () => {
      await rm(path);
      await untilPing(db, 'fails');
      await expect(db.ping()).rejects.toBeInstanceOf(UnavailableError);
      // The process still holds the deleted file open: /proc/self/fd/<n> -> "<path> (deleted)".
      const fds = await readdir('/proc/self/fd');
      const links = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
      const fd = fds[links.indexOf(`${path} (deleted)`)];
      expect(fd).toBeDefined();
      await copyFile(`/proc/self/fd/${fd}`, join(folder, 'rescued.db'));
      expect(await idsAfterRestart(join(folder, 'rescued.db'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    },
  );

  it('serves again once the very file is moved back to the path', async () => {
    await rename(path, join(folder, 'moved.db'));
    await untilPing(db, 'fails');
    await expect(db.ping()).rejects.toBeInstanceOf(UnavailableError);
    await rename(join(folder, 'moved.db'), path);
    await untilPing(db, 'answers');
    await expect(db.ping()).resolves.toBeUndefined();
    const { acknowledged } = await writeAfterwards();
    expect(acknowledged).toHaveLength(65);
    await db.close();
    expect(await idsAfterRestart(path)).toHaveLength(75);
  });

  it('keeps serving while the file stays where it was', async () => {
    await sleep(PAST_ONE_CHECK_MS);
    await expect(db.ping()).resolves.toBeUndefined();
    const { acknowledged } = await writeAfterwards();
    expect(acknowledged).toHaveLength(65);
    await db.close();
    expect(await idsAfterRestart(path)).toHaveLength(75);
  });
});
