import { sql, type Kysely } from 'kysely';
import { ConfigError, WeftError } from '../errors/internal.js';
import type { DatabaseCapabilities } from './backend.js';
import type { Database } from './database.js';

/** One schema change of one part. `up` and `down` run inside a transaction. */
export interface Migration {
  /** Unique within its part, e.g. `001_event_log`. */
  readonly name: string;
  up(db: Kysely<unknown>, capabilities: DatabaseCapabilities): Promise<void>;
  /** Undoes `up`; a migration without it cannot be reverted. */
  down?(db: Kysely<unknown>, capabilities: DatabaseCapabilities): Promise<void>;
}

/** Where one registered or recorded migration stands. */
export interface MigrationStatus {
  readonly part: string;
  readonly name: string;
  readonly applied: boolean;
  readonly appliedAt: string | undefined;
  /** False when the database records it but no registered part names it any more. */
  readonly registered: boolean;
}

/** A migration that `up` applied or `down` reverted in this call. */
export interface MigrationStep {
  readonly part: string;
  readonly name: string;
}

interface JournalTable {
  weft_migrations: { part: string; name: string; seq: number; applied_at: string };
}

const LOCK = 'weft_migrations';

/**
 * Applies the migrations each part registers, in registration order, one transaction per
 * migration. Two migrators on one database never both apply a migration: each step takes a
 * lock, then re-reads the journal.
 * @example const migrator = new Migrator(db).register('events', eventMigrations); await migrator.up()
 */
export class Migrator {
  readonly #db: Database<JournalTable>;
  readonly #parts = new Map<string, readonly Migration[]>();

  constructor(db: Pick<Database<unknown>, 'withTables'>) {
    this.#db = db.withTables<JournalTable>();
  }

  /** Adds a part's ordered migrations; a part registered twice, or a repeated name, is an error. */
  register(part: string, migrations: readonly Migration[]): this {
    if (!/^[a-z][a-z0-9_.-]*$/.test(part)) {
      throw new ConfigError(
        `Migration part name must be lower-case letters, digits, ".", "_" or "-"; received ${JSON.stringify(part)}.`,
      );
    }
    if (this.#parts.has(part)) throw new ConfigError(`Migrations of part "${part}" are registered already.`);
    const names = new Set<string>();
    for (const migration of migrations) {
      if (names.has(migration.name))
        throw new ConfigError(`Part "${part}" has two migrations named "${migration.name}".`);
      names.add(migration.name);
    }
    this.#parts.set(part, [...migrations]);
    return this;
  }

  /** Applies every pending migration; returns those applied by this call. */
  async up(): Promise<MigrationStep[]> {
    const applied: MigrationStep[] = [];
    for (const [part, migrations] of this.#parts) {
      for (const migration of migrations) {
        if (await this.#apply(part, migration)) applied.push({ part, name: migration.name });
      }
    }
    return applied;
  }

  /** Reverts the `steps` most recently applied migrations, newest first. */
  async down(options: { steps?: number } = {}): Promise<MigrationStep[]> {
    const steps = options.steps ?? 1;
    if (!Number.isSafeInteger(steps) || steps < 1)
      throw new ConfigError(`"steps" must be an integer >= 1; received ${String(steps)}.`);
    const reverted: MigrationStep[] = [];
    for (let i = 0; i < steps; i++) {
      const step = await this.#db.transaction(async (tx) => {
        await this.#lockAndEnsureJournal();
        const last = await tx
          .selectFrom('weft_migrations')
          .select(['part', 'name'])
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (last === undefined) return undefined;
        const migration = this.#parts.get(last.part)?.find((m) => m.name === last.name);
        if (migration === undefined) {
          throw new WeftError(
            'WEFT_MIGRATION_FAILED',
            `Cannot revert ${last.part}/${last.name}: no registered part provides it.`,
          );
        }
        if (migration.down === undefined) {
          throw new WeftError('WEFT_MIGRATION_FAILED', `Cannot revert ${last.part}/${last.name}: it has no down().`);
        }
        await this.#run(last.part, migration, 'down');
        await tx.deleteFrom('weft_migrations').where('part', '=', last.part).where('name', '=', last.name).execute();
        return { part: last.part, name: last.name };
      });
      if (step === undefined) break;
      reverted.push(step);
    }
    return reverted;
  }

  /** Every registered migration with whether it is applied, then any applied one no part registers. */
  async status(): Promise<MigrationStatus[]> {
    const rows = await this.#db.transaction(async (tx) => {
      await this.#lockAndEnsureJournal();
      return tx.selectFrom('weft_migrations').select(['part', 'name', 'applied_at']).orderBy('seq').execute();
    });
    const recorded = new Map(rows.map((row) => [`${row.part}/${row.name}`, row.applied_at]));
    const result: MigrationStatus[] = [];
    for (const [part, migrations] of this.#parts) {
      for (const { name } of migrations) {
        const appliedAt = recorded.get(`${part}/${name}`);
        recorded.delete(`${part}/${name}`);
        result.push({ part, name, applied: appliedAt !== undefined, appliedAt, registered: true });
      }
    }
    for (const row of rows) {
      if (recorded.has(`${row.part}/${row.name}`)) {
        result.push({ part: row.part, name: row.name, applied: true, appliedAt: row.applied_at, registered: false });
      }
    }
    return result;
  }

  /** Applies one migration unless the journal has it; true when this call applied it. */
  async #apply(part: string, migration: Migration): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      await this.#lockAndEnsureJournal();
      const done = await tx
        .selectFrom('weft_migrations')
        .select('name')
        .where('part', '=', part)
        .where('name', '=', migration.name)
        .executeTakeFirst();
      if (done !== undefined) return false;
      await this.#run(part, migration, 'up');
      const last = await tx
        .selectFrom('weft_migrations')
        .select(sql<number>`coalesce(max(seq), 0)`.as('seq'))
        .executeTakeFirstOrThrow();
      await tx
        .insertInto('weft_migrations')
        .values({ part, name: migration.name, seq: Number(last.seq) + 1, applied_at: new Date().toISOString() })
        .execute();
      return true;
    });
  }

  async #run(part: string, migration: Migration, direction: 'up' | 'down'): Promise<void> {
    const executor = this.#db.executor() as Kysely<unknown>;
    try {
      if (direction === 'up') await migration.up(executor, this.#db.capabilities);
      else await migration.down?.(executor, this.#db.capabilities);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new WeftError(
        'WEFT_MIGRATION_FAILED',
        `Migration ${part}/${migration.name} (${direction}) failed: ${reason}`,
        { cause },
      );
    }
  }

  async #lockAndEnsureJournal(): Promise<void> {
    await this.#db.lockInTransaction(LOCK);
    await this.#ensureJournal();
  }

  async #ensureJournal(): Promise<void> {
    await this.#db
      .executor()
      .schema.createTable('weft_migrations')
      .ifNotExists()
      .addColumn('part', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('weft_migrations_pk', ['part', 'name'])
      .execute();
  }
}
