import type { Migration } from '../database/internal.js';

/** The tables of the state part: the current entries and every version of them; indexes for the status and traces. */
export const stateMigrations: readonly Migration[] = [
  {
    name: '001_state',
    async up(db) {
      await db.schema
        .createTable('weft_state_entries')
        .addColumn('system', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .addPrimaryKeyConstraint('weft_state_entries_pk', ['system', 'key'])
        .execute();
      await db.schema
        .createTable('weft_state_history')
        .addColumn('system', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        // Null: the entry was deleted at this version.
        .addColumn('value', 'text')
        .addColumn('patch', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('correlation_id', 'text')
        .addColumn('changed_at', 'text', (c) => c.notNull())
        .addColumn('changed_by', 'text')
        .addPrimaryKeyConstraint('weft_state_history_pk', ['system', 'key', 'version'])
        .execute();
      await db.schema
        .createIndex('weft_state_history_transaction')
        .on('weft_state_history')
        .column('transaction_id')
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('weft_state_history').execute();
      await db.schema.dropTable('weft_state_entries').execute();
    },
  },
  {
    // The status asks each slice for its latest change: without this index that reads every entry of the table
    // (0.1 s a statement at 200,000 entries on SQLite, blocking the event loop), with it a few index pages.
    name: '002_state_entries_by_time',
    async up(db) {
      await db.schema
        .createIndex('weft_state_entries_updated')
        .on('weft_state_entries')
        .columns(['system', 'updated_at'])
        .execute();
    },
    async down(db) {
      await db.schema.dropIndex('weft_state_entries_updated').execute();
    },
  },
  {
    // The trace of one action (GET /admin/trace/:correlationId) reads the versions a correlation wrote: without this
    // index that is a scan of the whole history.
    name: '003_state_history_by_correlation',
    async up(db) {
      await db.schema
        .createIndex('weft_state_history_correlation')
        .on('weft_state_history')
        .column('correlation_id')
        .execute();
    },
    async down(db) {
      await db.schema.dropIndex('weft_state_history_correlation').execute();
    },
  },
  {
    // A slice's latest change is read from its history, where rows are only appended, so its index on time grows at
    // its end. The index on the entries moved one of its rows from a random place on every write: a page more to
    // write per entry changed on SQLite (a seventh of a transfer's pages, `npm run bench -- transfer`), and on
    // PostgreSQL an index to update on every change where the row could otherwise be updated in place.
    name: '004_latest_change_from_history',
    async up(db) {
      await db.schema
        .createIndex('weft_state_history_by_time')
        .on('weft_state_history')
        .columns(['system', 'changed_at'])
        .execute();
      await db.schema.dropIndex('weft_state_entries_updated').execute();
    },
    async down(db) {
      await db.schema
        .createIndex('weft_state_entries_updated')
        .on('weft_state_entries')
        .columns(['system', 'updated_at'])
        .execute();
      await db.schema.dropIndex('weft_state_history_by_time').execute();
    },
  },
];
