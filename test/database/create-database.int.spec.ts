import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ConfigError, UnavailableError, createDatabase, redactUrl } from 'weft/internal';
import { postgresAvailableForTests, postgresTestUrl } from 'weft/testing';
import { closedPort } from '../network/closed-port.js';

const postgres = await postgresAvailableForTests();

describe('createDatabase input', () => {
  it('refuses an unsupported URL with a ConfigError naming the accepted forms', async () => {
    const error = await createDatabase('mysql://root@localhost/game').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'WEFT_INVALID_CONFIG' });
    expect((error as Error).message).toMatch(/sqlite:<path>.*sqlite::memory:.*postgres:\/\//);
  });

  it('refuses any string that is not a sqlite: or postgres:// URL, and never with anything but a ConfigError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .string()
          .filter((s) => !s.startsWith('sqlite:') && !s.startsWith('postgres://') && !s.startsWith('postgresql://')),
        async (url) => {
          await expect(createDatabase(url)).rejects.toBeInstanceOf(ConfigError);
        },
      ),
    );
  });

  it('names a misspelt or wrongly typed setting, the value received and what is accepted', async () => {
    await expect(createDatabase({ url: 'sqlite::memory:', sqlite: { synchronus: 'FULL' } as never })).rejects.toThrow(
      /Unknown setting "synchronus" in sqlite; accepted: synchronous, busyTimeoutMs, statementCacheSize/,
    );
    await expect(
      createDatabase({ url: 'sqlite::memory:', sqlite: { synchronous: 'SOMETIMES' as never } }),
    ).rejects.toThrow(/"sqlite.synchronous" must be one of OFF, NORMAL, FULL, EXTRA; received "SOMETIMES"/);
    await expect(createDatabase({ url: postgresTestUrl(), postgres: { pool: { max: 0 } } })).rejects.toThrow(
      /"postgres.pool.max" must be an integer >= 1; received 0/,
    );
    await expect(createDatabase({ url: 'sqlite::memory:', retry: { maxAttempts: 1.5 } })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  it('never shows a password in a URL it reports', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[A-Za-z0-9%!~*]{4,20}$/), (user, password) => {
        // The whole URL with the password put out: a password that is part of the user name may show there.
        expect(redactUrl(`postgres://${user}:${password}@db.example:5432/game`)).toBe(
          `postgres://${user}:***@db.example:5432/game`,
        );
      }),
    );
  });

  it('reports an unreachable PostgreSQL server as unavailable, naming host and failure but not the password', async () => {
    const port = await closedPort();
    const error = await createDatabase({
      url: `postgres://postgres:hunter2@127.0.0.1:${port}/test`,
      postgres: { pool: { connectTimeoutMs: 1000 } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: 'WEFT_UNAVAILABLE', status: 503 });
    const message = (error as Error).message;
    expect(message).toContain(`PostgreSQL at 127.0.0.1:${port}/test as postgres is unavailable`);
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('hunter2');
  });

  it.runIf(postgres)('reports a database that does not exist as unavailable', async () => {
    const url = new URL(postgresTestUrl());
    url.pathname = '/weft_no_such_database';
    const error = await createDatabase(url.toString()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(/weft_no_such_database.*does not exist/);
  });

  it('reports a SQLite file that cannot be opened as unavailable', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'weft-'));
    try {
      // A regular file where a folder should be: the path cannot be created.
      await writeFile(join(folder, 'not-a-folder'), '');
      const path = join(folder, 'not-a-folder', 'game.db');
      const error = await createDatabase(`sqlite:${path}`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toContain(`SQLite ${path} is unavailable`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('creates the folder of a new SQLite file and applies the durability settings', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'weft-'));
    try {
      await using db = await createDatabase({
        url: `sqlite:${join(folder, 'nested', 'game.db')}`,
        sqlite: { synchronous: 'NORMAL' },
      });
      const pragma = async (name: string): Promise<unknown> =>
        Object.values((await sql.raw(`pragma ${name}`).execute(db.executor())).rows[0] as object)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(1);
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(1000);
      expect(await pragma('temp_store')).toBe(2);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  // Linux's /proc lists the files a process has open; SQLite unlinks its temporary files at once, so only there.
  it.runIf(process.platform === 'linux')(
    "keeps a savepoint's journal in memory however many pages it changes (no temporary file)",
    async () => {
      const folder = await mkdtemp(join(tmpdir(), 'weft-'));
      const temporaryFiles = async () => {
        const names = await readdir('/proc/self/fd');
        const targets = await Promise.all(names.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
        return targets.filter((target) => /etilqs_/.test(target));
      };
      try {
        await using db = await createDatabase(`sqlite:${join(folder, 'game.db')}`);
        await sql`create table pages (id integer primary key, body blob not null)`.execute(db.executor());
        const body = Buffer.alloc(3000, 1);
        await db.transaction(async (tx) => {
          for (let id = 0; id < 200; id++) await sql`insert into pages values (${id}, ${body})`.execute(tx);
        });
        let seen: string[] | undefined;
        await db.transaction(async () => {
          // A nested transaction is a savepoint; 200 rows of 3 KB change far more than SQLite's 64 KiB spill limit.
          await db.transaction(async (tx) => {
            await sql`update pages set body = ${Buffer.alloc(3000, 2)}`.execute(tx);
            seen = await temporaryFiles();
          });
        });
        expect(seen).toEqual([]);
        const { rows } = await sql<{
          n: number;
        }>`select count(*) as n from pages where body = ${Buffer.alloc(3000, 2)}`.execute(db.executor());
        expect(rows[0]?.n).toBe(200);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },
  );
});
