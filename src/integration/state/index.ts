export { StateStore } from './state-store.js';
export type { StateEventSink, StateStoreOptions } from './state-store.js';
export { StateTransaction } from './state-transaction.js';
export { StateSyncManager } from './seed-state-sync.js';
export type { SeedStateCallback } from './seed-state-sync.js';
export { stateMigrations } from './migrations.js';
export { stateChanged, stateRolledBack } from './state-events.js';
export type { HistoryRow, StateTables } from './entry-table.js';
export type { StateValidationReport, SyncStatus, SystemSyncStatus } from './state-report.js';
export type { ChangeCallback } from './state-callbacks.js';
export { applyPatch, diff } from './json-patch.js';
export type { PatchOperation } from './json-patch.js';
export type {
  ConflictPolicy,
  CrossSystemInvariant,
  EntryInvariant,
  ListOptions,
  SetOptions,
  SliceOptions,
  StateChange,
  StateEntry,
  StateReader,
  StateTransactionOptions,
} from './types.js';
