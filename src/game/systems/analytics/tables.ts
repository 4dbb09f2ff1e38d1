import type { Migration } from '../../../integration/index.js';

/** The analytics tables: one row per hour and key, so they grow by the hour, not by the event. */
export interface AnalyticsTables {
  analytics_event_counts: {
    /** The hour's start, ISO: `2025-01-01T13:00:00.000Z`. */
    hour: string;
    type: string;
    /** The system that published the events (the envelope's source). */
    system: string;
    /** Stored as a 64-bit integer: PostgreSQL answers it as text. */
    count: number | string;
  };
  analytics_active_characters: { hour: string; character_id: string };
  analytics_gold: {
    hour: string;
    /** `source` (gold entering the game) or `sink` (gold leaving it). */
    side: string;
    name: string;
    amount: number | string;
  };
}

/** The hourly tables, keyed by hour first so the summary and the pruning read a range of hours. */
export const analyticsMigrations: readonly Migration[] = [
  {
    name: '001_hourly',
    async up(db) {
      await db.schema
        .createTable('analytics_event_counts')
        .addColumn('hour', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('system', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('analytics_event_counts_pk', ['hour', 'type', 'system'])
        .execute();
      await db.schema
        .createTable('analytics_active_characters')
        .addColumn('hour', 'text', (c) => c.notNull())
        .addColumn('character_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('analytics_active_characters_pk', ['hour', 'character_id'])
        .execute();
      await db.schema
        .createTable('analytics_gold')
        .addColumn('hour', 'text', (c) => c.notNull())
        .addColumn('side', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('analytics_gold_pk', ['hour', 'side', 'name'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('analytics_gold').execute();
      await db.schema.dropTable('analytics_active_characters').execute();
      await db.schema.dropTable('analytics_event_counts').execute();
    },
  },
];
