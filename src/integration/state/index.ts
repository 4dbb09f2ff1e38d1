// The state part's public face (`weft/state`). What only Weft's own parts use is in internal.ts.
export type { StateStore, StateEventSink, StateStoreOptions } from './state-store.js';
export type { StateSlice } from './state-slice.js';
export type { StateTransaction } from './state-transaction.js';
export type { StateValidationReport, SyncStatus, SystemSyncStatus } from './state-report.js';
export type { ChangeCallback } from './state-callbacks.js';
export type { HistoryRow } from './entry-table.js';
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
export { readStateTrace, versionOf, type StateTrace, type StateTraceOptions, type TracedStateChange } from './trace.js';
