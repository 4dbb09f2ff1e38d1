import type { Migration } from '../database/internal.js';

/** The table of the commands part: the first result of each idempotency key. */
export const commandMigrations: readonly Migration[] = [
  {
    name: '001_command_results',
    async up(db) {
      await db.schema
        .createTable('weft_command_results')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('command', 'text', (c) => c.notNull())
        .addColumn('input_hash', 'text', (c) => c.notNull())
        // Null only inside the transaction that claimed the key: it is written before that commits.
        .addColumn('result', 'text')
        .addColumn('correlation_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('weft_command_results_pk', ['actor', 'idempotency_key'])
        .execute();
      await db.schema
        .createIndex('weft_command_results_created')
        .on('weft_command_results')
        .column('created_at')
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('weft_command_results').execute();
    },
  },
];
