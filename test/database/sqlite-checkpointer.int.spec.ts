import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, createDatabase } from 'weft/internal';
import { SqliteCheckpointer } from '../../src/integration/database/sqlite-checkpointer.js';

let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'weft-checkpoint-'));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** A WAL-mode file with one table, written by the test's own connection, which never checkpoints by itself. */
function walFile(name: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(join(folder, name));
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('create table rows (id integer primary key, body text not null)');
  return db;
}

/** A checkpointer of `name` in the test's folder, whose stops land in `stopped`. */
function checkpointerOf(name: string, walLimitFrames: number, stopped: Array<Error | undefined>): SqliteCheckpointer {
  return new SqliteCheckpointer({
    path: join(folder, name),
    synchronous: 'NORMAL',
    busyTimeoutMs: 1000,
    walLimitFrames,
    intervalMs: 5,
    onStopped: (error) => stopped.push(error),
  });
}

const walBytes = async (path: string) => (await stat(`${path}-wal`)).size;

describe('SqliteCheckpointer (WAL checkpoints from a worker thread)', () => {
  it('copies the WAL back after writes, and holds a write past the limit until all of it is copied, so the WAL starts over', async () => {
    const db = walFile('game.db');
    const stopped: Array<Error | undefined> = [];
    const checkpointer = checkpointerOf('game.db', 50, stopped);
    const insert = db.prepare('insert into rows (body) values (?)');
    let rows = 0;
    const write = () => {
      db.transaction(() => {
        for (let i = 0; i < 20; i++) insert.run('x'.repeat(1000));
      })();
      rows += 20;
      checkpointer.afterWrite();
    };
    const frames = () => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]?.log;
    try {
      // About 6 pages a write: past 50 within ten writes. Written until the checkpointer has held three writes back
      // (acting on what it reports, whatever the worker's pace).
      const after: Array<number | undefined> = [];
      for (let i = 0; i < 10_000 && after.length < 3; i++) {
        const held = checkpointer.beforeWrite();
        if (held !== undefined) await held;
        write();
        // A held write began with all of the WAL copied back: it started the WAL over, so the WAL is that write alone.
        if (held !== undefined) after.push(frames());
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(after).toHaveLength(3);
      for (const log of after) expect(log).toBeLessThan(50);
      expect(db.prepare('select count(*) as n from rows').get()).toEqual({ n: rows });
      expect(stopped).toEqual([]);
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it('stops for good on stopNow, once no checkpoint runs, and says so', async () => {
    const db = walFile('game.db');
    const stopped: Array<Error | undefined> = [];
    const checkpointer = checkpointerOf('game.db', 1, stopped);
    try {
      db.prepare('insert into rows (body) values (?)').run('x');
      checkpointer.afterWrite();
      checkpointer.stopNow();
      expect(stopped).toEqual([undefined]);
      // Stopped: nothing is held back any more, however long the WAL.
      expect(checkpointer.beforeWrite()).toBeUndefined();
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it('reports a checkpoint that fails (the file is no database) once, as stopped with that error', async () => {
    await writeFile(join(folder, 'notes.txt'), 'not a database, whatever its name says'.repeat(200));
    const stopped: Array<Error | undefined> = [];
    let told: () => void = () => undefined;
    const reported = new Promise<void>((resolve) => (told = resolve));
    const checkpointer = new SqliteCheckpointer({
      path: join(folder, 'notes.txt'),
      synchronous: 'NORMAL',
      busyTimeoutMs: 1000,
      walLimitFrames: 1,
      intervalMs: 1,
      onStopped: (error) => {
        stopped.push(error);
        told();
      },
    });
    try {
      checkpointer.afterWrite();
      await reported;
      expect(stopped).toHaveLength(1);
      expect(stopped[0]?.message).toMatch(/not a database/);
    } finally {
      await checkpointer.close();
    }
  });
});

describe('createDatabase on a SQLite file', () => {
  it('checkpoints in the background by default: the connection never does, the WAL stays bounded, all rows are kept', async () => {
    const url = `sqlite:${join(folder, 'game.db')}`;
    {
      await using db = await createDatabase({ url, sqlite: { synchronous: 'NORMAL' } });
      await db.transaction((tx) =>
        tx.schema
          .createTable('rows')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('body', 'text')
          .execute(),
      );
      const autocheckpoint = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(
        db.executor(),
      );
      expect(autocheckpoint.rows).toEqual([{ wal_autocheckpoint: 0 }]);
      // About 5 pages each: 12,000 pages in all, twelve times the limit of 1,000.
      for (let i = 0; i < 2400; i++) {
        await db.transaction((tx) =>
          tx
            .insertInto('rows' as never)
            .values(Array.from({ length: 4 }, () => ({ body: 'x'.repeat(1000) })) as never)
            .execute(),
        );
      }
      expect(await walBytes(join(folder, 'game.db'))).toBeLessThan(4 * 1000 * 4200);
    }
    // Closed: the last connection copied the WAL back and removed it; everything is in the file.
    await expect(stat(join(folder, 'game.db-wal'))).rejects.toMatchObject({ code: 'ENOENT' });
    const reopened = new BetterSqlite3(join(folder, 'game.db'), { readonly: true });
    expect(reopened.prepare('select count(*) as n from rows').get()).toEqual({ n: 9600 });
    reopened.close();
  });

  it('checkpoints inside commits with checkpoint "inline", and refuses any other value', async () => {
    await using db = await createDatabase({
      url: `sqlite:${join(folder, 'inline.db')}`,
      sqlite: { checkpoint: 'inline' },
    });
    const autocheckpoint = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db.executor());
    expect(autocheckpoint.rows).toEqual([{ wal_autocheckpoint: 1000 }]);
    await expect(
      createDatabase({ url: `sqlite:${join(folder, 'x.db')}`, sqlite: { checkpoint: 'sometimes' as never } }),
    ).rejects.toThrow(
      new ConfigError('Setting "sqlite.checkpoint" must be "background" or "inline"; received "sometimes".'),
    );
  });
});
