import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Compilable,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { StatementCache, UsageError } from 'weft/internal';

interface Tables {
  cursor: { id: string; seq: number; owner: string | null; active: number };
}

/** Kysely with a backend's real query compiler and no connection: it only compiles. */
const compilers: Array<[string, Kysely<Tables>]> = [
  [
    'SQLite',
    new Kysely<Tables>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new SqliteIntrospector(db),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    }),
  ],
  [
    'PostgreSQL',
    new Kysely<Tables>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    }),
  ],
];

/** Queries of the shapes Weft caches, each built with whatever values it is given. */
const shapes: Record<string, (db: Kysely<Tables>, v: { id: string; seq: number; owner: string | null }) => Compilable> =
  {
    select: (db, v) => db.selectFrom('cursor').selectAll().where('id', '=', v.id).where('seq', '>', v.seq),
    insert: (db, v) => db.insertInto('cursor').values({ id: v.id, seq: v.seq, owner: v.owner, active: 1 }),
    update: (db, v) =>
      db.updateTable('cursor').set({ seq: v.seq, owner: v.owner }).where('id', '=', v.id).where('seq', '<', v.seq),
    delete: (db, v) => db.deleteFrom('cursor').where('id', '=', v.id).where('seq', '=', v.seq),
  };

describe.each(compilers)('StatementCache with the %s compiler', (_name, db) => {
  it.each(Object.keys(shapes))(
    'gives the %s statement compiled once with stand-ins the same SQL and parameters Kysely compiles from real values',
    (shape) => {
      const build = shapes[shape]!;
      const cache = new StatementCache();
      let builds = 0;
      const standIns = { id: '', seq: 0, owner: '' };
      const cached = (parameters: unknown[]) =>
        cache.get(
          shape,
          () => {
            builds++;
            return build(db, standIns);
          },
          parameters,
        );
      for (const values of [
        { id: 'c-1', seq: 7, owner: 'ann' },
        { id: 'c-2', seq: 8, owner: null },
      ]) {
        const real = build(db, values).compile();
        const reused = cached([...real.parameters]);
        expect(reused.sql).toBe(real.sql);
        expect(reused.parameters).toEqual(real.parameters);
      }
      expect(builds).toBe(1);
    },
  );

  it('throws UsageError when the values given do not match the placeholders, on the first call and on later ones', () => {
    const cache = new StatementCache();
    const build = () => shapes.delete!(db, { id: '', seq: 0, owner: '' });
    const first = (() => {
      try {
        return cache.get('delete', build, ['only one']);
      } catch (error) {
        return error;
      }
    })();
    expect(first).toBeInstanceOf(UsageError);
    expect((first as Error).message).toBe('Statement delete has 2 placeholders but was given 1 values.');
    expect(cache.get('delete', build, ['c-1', 1]).parameters).toEqual(['c-1', 1]);
    expect(() => cache.get('delete', build, ['c-1', 1, 'extra'])).toThrow(
      new UsageError('Statement delete has 2 placeholders but was given 3 values.'),
    );
  });
});
