export { defineEvent } from './definition.js';
export type { DataOf, EventDefinition } from './definition.js';
export type { EventEnvelope } from './envelope.js';
export { EventBus } from './event-bus.js';
export type { EnvelopeFor, EventBusOptions, EventHandler, EventMap, EventPattern, MatchingTypes, PublishOptions, SubscribeOptions } from './event-bus.js';
export { EventLog } from './event-log.js';
export type { CausalNode, EventTables, LoggedEvent } from './event-log.js';
export { eventMigrations } from './migrations.js';
export { uuidv7 } from './uuid.js';
