import type { Generated } from 'kysely';
import type { Migration } from '../../src/integration/internal.js';

/** The chaos tests' own tables: what the workers published, and each effect their handler committed. */
export interface ChaosTables {
  /** One row per published entry, in the publishing transaction: a retry after an unknown commit checks it. */
  chaos_published: { account: string; n: number };
  /** One row per handler effect; `applied` numbers them in commit order, so per-account order can be read back. */
  chaos_effects: { event_id: string; account: string; n: number; applied: Generated<number> };
}

/** Makes the chaos tables (PostgreSQL only: `applied` is a bigserial). No unique event id: a second effect shows. */
export const chaosMigrations: readonly Migration[] = [
  {
    name: '001_chaos_tables',
    up: async (db) => {
      await db.schema
        .createTable('chaos_published')
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('chaos_published_pk', ['account', 'n'])
        .execute();
      await db.schema
        .createTable('chaos_effects')
        .addColumn('applied', 'bigserial', (c) => c.primaryKey())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .execute();
    },
  },
];
