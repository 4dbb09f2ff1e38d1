import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError, createDatabase, type Database } from 'weft/internal';
import { postgresAvailableForTests, postgresTestUrl } from 'weft/testing';

/**
 * A PostgreSQL server that is up but takes no connection to the database now (an operator's `ALTER DATABASE ...
 * ALLOW_CONNECTIONS false` during maintenance: SQLSTATE 55000 at connect) is a database that is unavailable: the
 * statements fail with an UnavailableError (503, WEFT_UNAVAILABLE), as for a refused connection, never as an
 * unknown error (500). It needs a database of its own: the setting is per database, not per schema.
 */
describe.runIf(await postgresAvailableForTests())('PostgreSQL database refusing connections', () => {
  const name = `weft_refused_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresTestUrl() });
  let db: Database | undefined;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database ${name}`);
  });

  afterAll(async () => {
    await db?.close().catch(() => undefined);
    await admin.query(`alter database ${name} allow_connections true`);
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('fails statements with an UnavailableError, and works again once the database takes connections', async () => {
    const url = new URL(postgresTestUrl());
    url.pathname = `/${name}`;
    db = await createDatabase({
      url: url.toString(),
      postgres: { pool: { connectTimeoutMs: 2000 } },
      // The connections the test cuts are warned about; they are expected here.
      logger: { warn: () => undefined, error: () => undefined },
    });
    const select = (database: Database) => sql<{ one: number }>`select 1 as one`.execute(database.executor());
    expect((await select(db)).rows).toEqual([{ one: 1 }]);

    await admin.query(`alter database ${name} allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
    const error = await select(db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).code).toBe('WEFT_UNAVAILABLE');
    expect((error as UnavailableError).status).toBe(503);

    await admin.query(`alter database ${name} allow_connections true`);
    // A connection the server cut may still be found dead by one more statement (a 503 too, which a client retries).
    const open = db;
    const rows = async (): Promise<unknown> => {
      try {
        return (await select(open)).rows;
      } catch (error) {
        if (error instanceof UnavailableError) return undefined;
        throw error;
      }
    };
    await expect.poll(rows).toEqual([{ one: 1 }]);
  });
});
