// The state part's face inside Weft: the public face, and what other parts and tests may use.
export * from './index.js';
export { SLICE_ID, StateStore } from './state-store.js';
export { StateTransaction } from './state-transaction.js';
export { stateMigrations } from './migrations.js';
export { stateChanged, stateRolledBack } from './state-events.js';
export type { StateTables } from './entry-table.js';
export { applyPatch, diff } from './json-patch.js';
export type { PatchOperation } from './json-patch.js';
export { StateSlice } from './state-slice.js';
export { RecentResult } from './recent-result.js';
