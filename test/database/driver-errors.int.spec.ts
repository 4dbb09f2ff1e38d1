import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError, WeftError } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';
import { driverErrorLog } from '../../src/integration/database/driver-errors.js';

/** Every table, column and constraint name holds "secret": none of it may reach what a client is shown. */
interface Tables {
  weft_secret_parent: { secret_parent_id: string };
  weft_secret_table: { secret_key: string; secret_count: number; secret_parent: string | null };
}

const postgres = await postgresAvailableForTests();

const backends = [
  // SQLite's errors carry no name fields; its names are in the driver's message, which logs print with the cause.
  { name: 'SQLite file', open: () => createTestDatabase<Tables>({ file: true }), run: true, logFields: {} },
  {
    name: 'PostgreSQL',
    open: () => createTestDatabase<Tables>({ dialect: 'postgres' }),
    run: postgres,
    logFields: { table: 'weft_secret_table', constraint: 'weft_secret_pk', driverCode: '23505' },
  },
] as const;

/** What a client may see of an error: the problem document is built from these (see server/problem.ts). */
function shownToClients(error: WeftError): string {
  return JSON.stringify({ message: error.message, details: error.details, json: error.toJSON() });
}

/** Runs `write`, which must fail; returns the failure. */
async function failure(write: () => Promise<unknown>): Promise<WeftError> {
  const error = await write().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeftError);
  return error as WeftError;
}

/** An error logged the way the server logs a refused request, through pino's own error serializer. */
function logged(error: unknown): string {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  pino({}, sink).info({ err: error }, 'request refused');
  return lines.join('');
}

for (const backend of backends) {
  describe.runIf(backend.run)(`driver errors on ${backend.name}`, () => {
    let db: TestDatabase<Tables>;

    beforeEach(async () => {
      db = await backend.open();
      await sql`create table weft_secret_parent (secret_parent_id text primary key)`.execute(db.executor());
      await sql`
        create table weft_secret_table (
          secret_key text constraint weft_secret_pk primary key,
          secret_count integer not null constraint weft_secret_check check (secret_count >= 0),
          secret_parent text constraint weft_secret_fk references weft_secret_parent (secret_parent_id)
        )`.execute(db.executor());
    });

    afterEach(async () => {
      await db.close();
    });

    const insert = (row: Partial<Tables['weft_secret_table']>) => () =>
      db
        .executor()
        .insertInto('weft_secret_table')
        .values({ secret_key: 'k', secret_count: 1, ...row })
        .execute();

    it('shows clients no table, column or constraint name for a broken constraint, and keeps them for logs', async () => {
      await insert({})();
      const broken = [
        await failure(insert({})),
        await failure(insert({ secret_key: 'k2', secret_count: null as never })),
        await failure(insert({ secret_key: 'k3', secret_count: -1 })),
        await failure(insert({ secret_key: 'k4', secret_parent: 'nobody' })),
      ];
      expect(broken.map((e) => e.constructor)).toEqual([
        ConflictError,
        ValidationError,
        ValidationError,
        ValidationError,
      ]);
      for (const error of broken) {
        expect(shownToClients(error)).not.toMatch(/secret/i);
        expect(error.cause).toBeInstanceOf(Error);
        expect(error.cause).not.toBeInstanceOf(WeftError);
      }
      // The names stay where operators look: the log line of the error (its cause, and its `log` fields).
      expect(logged(broken[0])).toMatch(/weft_secret_(table|pk)/);
      expect(driverErrorLog(broken[0])).toMatchObject(backend.logFields);
      for (const [key, value] of Object.entries(backend.logFields)) {
        expect(logged(broken[0])).toContain(`"${key}":"${value}"`);
      }
      expect(logged(broken[1])).toMatch(/secret_count/);
      expect(logged(broken[2])).toMatch(/weft_secret_check/);
    });

    it('refuses a statement with more values than the database takes as a ValidationError, not a 5xx', async () => {
      // 70,000 is over both limits: 32,766 variables in SQLite, 65,535 parameters in PostgreSQL.
      const keys = Array.from({ length: 70_000 }, (_, i) => `k${i}`);
      const error = await failure(() =>
        db.executor().selectFrom('weft_secret_table').select('secret_key').where('secret_key', 'in', keys).execute(),
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'WEFT_VALIDATION', status: 422 });
      expect(error.message).toMatch(/more values than .* one statement/);
      expect(shownToClients(error)).not.toMatch(/secret/i);
      // The connection is still good.
      await expect(db.ping()).resolves.toBeUndefined();
    });
  });
}

describe.runIf(postgres)('PostgreSQL values it cannot store', () => {
  let db: TestDatabase<Tables & { weft_secret_json: { secret_doc: string } }>;

  beforeEach(async () => {
    db = await createTestDatabase({ dialect: 'postgres' });
    await sql`create table weft_secret_table (secret_key text primary key, secret_count integer)`.execute(
      db.executor(),
    );
    await sql`create table weft_secret_json (secret_doc jsonb)`.execute(db.executor());
  });

  afterEach(async () => {
    await db.close();
  });

  const insert = (row: { secret_key: string; secret_count?: unknown }) => () =>
    db
      .executor()
      .insertInto('weft_secret_table')
      .values(row as never)
      .execute();

  it.each([
    ['a NUL character in a text value (22021)', insert({ secret_key: 'a\u0000b' }), /NUL|character/],
    ['a 1M-character key, too long for an index row (54000)', insert({ secret_key: 'x'.repeat(1_000_000) }), /large/],
    ['text where an integer belongs (22P02)', insert({ secret_key: 'k', secret_count: 'abc' }), /type/],
    ['an integer out of range (22003)', insert({ secret_key: 'k', secret_count: 2 ** 40 }), /type|range/],
    [
      'a NUL escape in a JSON document (22P05)',
      () =>
        db
          .executor()
          .insertInto('weft_secret_json')
          .values({ secret_doc: JSON.stringify({ a: '\u0000' }) })
          .execute(),
      /NUL|character/,
    ],
  ])('maps %s to a ValidationError with a clear message and no names', async (_, write, message) => {
    const error = await failure(write);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'WEFT_VALIDATION', status: 422 });
    expect(error.message).toMatch(message);
    expect(shownToClients(error)).not.toMatch(/secret/i);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('SQLite values it cannot store', () => {
  let db: TestDatabase<{ weft_secret_strict: { secret_id: number; secret_count: number } }>;

  beforeEach(async () => {
    db = await createTestDatabase({ file: true });
    await sql`create table weft_secret_strict (secret_id integer primary key, secret_count integer) strict`.execute(
      db.executor(),
    );
  });

  afterEach(async () => {
    await db.close();
  });

  it.each([
    ['text in an INTEGER column of a STRICT table (SQLITE_CONSTRAINT_DATATYPE)', { secret_id: 1, secret_count: 'abc' }],
    ['text as an INTEGER PRIMARY KEY (SQLITE_MISMATCH)', { secret_id: 'abc', secret_count: 1 }],
  ])('maps %s to a ValidationError with a clear message and no names', async (_, row) => {
    const error = await failure(() =>
      db
        .executor()
        .insertInto('weft_secret_strict')
        .values(row as never)
        .execute(),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'WEFT_VALIDATION', status: 422 });
    expect(error.message).toMatch(/type/);
    expect(shownToClients(error)).not.toMatch(/secret/i);
  });
});
