// The commands part's face inside Weft: the public face, and what other parts and tests may use.
export * from './index.js';
export { CommandBus } from './command-bus.js';
export { IdempotencyRecords, inputHash } from './idempotency-records.js';
export type { CommandTables, StoredResult } from './idempotency-records.js';
export { commandMigrations } from './migrations.js';
