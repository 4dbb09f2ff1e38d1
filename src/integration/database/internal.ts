// The database part's face inside Weft: the public face, and what other parts and tests may use.
export * from './index.js';
export type { DatabaseBackend } from './backend.js';
export type { DeferredFlush } from './transaction-options.js';
export { redactUrl } from './options.js';
export { backoffDelay } from './backoff.js';
export { lostRace } from './driver-errors.js';
export { MAX_TIMER_MS } from './transaction-deadline.js';
export { unreadCompiled, unreadWrite } from './unread-write.js';
