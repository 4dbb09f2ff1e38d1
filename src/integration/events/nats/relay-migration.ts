import type { Migration } from '../../database/internal.js';

/** The relay's table, for Kysely's types: how far each JetStream stream has been fed from the event log. */
export interface RelayTables {
  weft_event_relay: {
    /** The JetStream stream fed. */
    stream: string;
    /** The last event log sequence number published to it and confirmed. */
    seq: number;
    updated_at: string;
  };
}

/** The events migration that makes the relay's position table (used by the NATS transport only). */
export const relayMigration: Migration = {
  name: '003_event_relay',
  async up(db) {
    await db.schema
      .createTable('weft_event_relay')
      .addColumn('stream', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('weft_event_relay').execute();
  },
};
