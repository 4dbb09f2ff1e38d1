import { createTestDatabase } from 'weft/testing';
import { SQLITE_FLUSH, databaseContract, type Tables } from './database.contract.js';

// Two connections in one process block each other's thread while SQLite waits for its lock, so the peer waits briefly
// and retries.
databaseContract('SQLite in memory', (options) => createTestDatabase<Tables>({ options }), SQLITE_FLUSH);

databaseContract('SQLite file', (options) => createTestDatabase<Tables>({ file: true, options }), SQLITE_FLUSH, {
  sqlite: { busyTimeoutMs: 5 },
});
