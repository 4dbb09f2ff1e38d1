import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConflictError,
  EventBus,
  Migrator,
  StateStore,
  ValidationError,
  ValidationManager,
  eventMigrations,
  stateMigrations,
} from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabaseOptions } from 'weft/testing';

/** The plain model: per key, every version's gold (index = version - 1). */
type Model = Map<string, number[]>;
interface Real {
  readonly state: StateStore;
}

const KEYS = ['ann', 'bob', 'cid'];
const key = fc.constantFrom(...KEYS);

async function expectSame(model: Model, real: Real): Promise<void> {
  for (const k of KEYS) {
    const versions = model.get(k);
    const entry = await real.state.get<{ gold: number }>('economy', k);
    if (versions === undefined) expect(entry).toBeUndefined();
    else expect(entry).toMatchObject({ value: { gold: versions.at(-1) }, version: versions.length });
  }
}

/** What a write should do: refused as invalid, refused as stale, or written. */
async function outcome(write: () => Promise<unknown>): Promise<'invalid' | 'stale' | 'written'> {
  try {
    await write();
    return 'written';
  } catch (error) {
    if (error instanceof ValidationError) return 'invalid';
    if (error instanceof ConflictError) return 'stale';
    throw error;
  }
}

class SetCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly key: string,
    readonly gold: number,
    readonly stale: boolean,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const versions = model.get(this.key) ?? [];
    const expectedVersion = this.stale ? versions.length + 1 : versions.length;
    const got = await outcome(() => real.state.set('economy', this.key, { gold: this.gold }, { expectedVersion }));
    expect(got).toBe(this.stale ? 'stale' : this.gold < 0 ? 'invalid' : 'written');
    if (got === 'written') model.set(this.key, [...versions, this.gold]);
    await expectSame(model, real);
  }
  toString = () => `set(${this.key}, ${this.gold}${this.stale ? ', stale' : ''})`;
}

class UpdateCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly key: string,
    readonly delta: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const versions = model.get(this.key) ?? [];
    const next = (versions.at(-1) ?? 0) + this.delta;
    const got = await outcome(() =>
      real.state.update<{ gold: number }>('economy', this.key, (w) => ({ gold: (w?.gold ?? 0) + this.delta })),
    );
    expect(got).toBe(next < 0 ? 'invalid' : 'written');
    if (got === 'written') model.set(this.key, [...versions, next]);
    await expectSame(model, real);
  }
  toString = () => `update(${this.key}, ${this.delta})`;
}

class TransactionCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly moves: ReadonlyArray<readonly [string, number]>,
    readonly fails: boolean,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const staged = new Map([...model].map(([k, v]) => [k, [...v]]));
    let valid = true;
    for (const [k, delta] of this.moves) {
      const versions = staged.get(k) ?? [];
      const next = (versions.at(-1) ?? 0) + delta;
      if (next < 0) valid = false;
      staged.set(k, [...versions, next]);
    }
    const got = await outcome(() =>
      real.state.transaction(async (tx) => {
        for (const [k, delta] of this.moves)
          await tx.update<{ gold: number }>('economy', k, (w) => ({ gold: (w?.gold ?? 0) + delta }));
        if (this.fails) throw new ValidationError('the game refused the craft');
      }),
    );
    expect(got).toBe(this.fails || !valid ? 'invalid' : 'written');
    if (got === 'written') for (const [k, v] of staged) model.set(k, v);
    await expectSame(model, real);
  }
  toString = () => `transaction(${JSON.stringify(this.moves)}${this.fails ? ', fails' : ''})`;
}

class RollbackCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly key: string,
    readonly pick: number,
  ) {}
  check = (model: Readonly<Model>) => (model.get(this.key)?.length ?? 0) > 0;
  async run(model: Model, real: Real): Promise<void> {
    const versions = model.get(this.key) ?? [];
    const toVersion = 1 + (this.pick % versions.length);
    await real.state.rollbackState('economy', this.key, { toVersion });
    model.set(this.key, [...versions, versions[toVersion - 1] ?? 0]);
    await expectSame(model, real);
  }
  toString = () => `rollback(${this.key}, pick ${this.pick})`;
}

const commands = fc.commands(
  [
    fc
      .tuple(key, fc.integer({ min: -2, max: 20 }), fc.boolean())
      .map(([k, gold, stale]) => new SetCommand(k, gold, stale)),
    fc.tuple(key, fc.integer({ min: -10, max: 10 })).map(([k, delta]) => new UpdateCommand(k, delta)),
    fc
      .tuple(fc.array(fc.tuple(key, fc.integer({ min: -8, max: 8 })), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([moves, fails]) => new TransactionCommand(moves, fails)),
    fc.tuple(key, fc.nat(20)).map(([k, pick]) => new RollbackCommand(k, pick)),
  ],
  { maxCommands: 25 },
);

/**
 * Runs random command sequences against a fresh database each, checking the store against the model after every
 * command.
 */
async function agreesWithModel(options: TestDatabaseOptions, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(commands, async (sequence) => {
      await using db = await createTestDatabase(options);
      await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
      const validation = new ValidationManager();
      const events = new EventBus({ db, validation });
      const state = new StateStore({ db, validation, events });
      state.registerStateSync('economy', { schema: z.object({ gold: z.int().min(0) }) });
      try {
        await fc.asyncModelRun(() => ({ model: new Map(), real: { state } }), sequence);
      } finally {
        await events.close();
      }
    }),
    { numRuns },
  );
}

const postgres = await postgresAvailableForTests();

describe('state against a plain in-memory model', () => {
  it(
    'agrees after any sequence of set, update, transaction and rollback, on SQLite',
    () => agreesWithModel({}, 60),
    120_000,
  );
  // Each run gets a schema of its own, which costs more on PostgreSQL: fewer runs.
  it.runIf(postgres)(
    'agrees after any sequence of set, update, transaction and rollback, on PostgreSQL',
    () => agreesWithModel({ dialect: 'postgres' }, 40),
    120_000,
  );
});
