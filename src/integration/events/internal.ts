// The events part's face inside Weft: the public face, and what other parts and tests may use.
export * from './index.js';
export { EventBus } from './event-bus.js';
export { checkSubscribeOptions } from './subscribe-options.js';
export { EventLog } from './event-log.js';
export { LogHorizon } from './log-horizon.js';
export type { EventTables } from './event-tables.js';
export { EventLogQueries, eventLogStatements } from './event-log-queries.js';
export type { PatternKind } from './event-log-queries.js';
export { eventMigrations } from './migrations.js';
export { EventRelay } from './nats/event-relay.js';
