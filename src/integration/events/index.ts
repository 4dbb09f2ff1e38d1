export { defineEvent } from './definition.js';
export type { DataOf, EventDefinition } from './definition.js';
export type { EventEnvelope } from './envelope.js';
export { EventBus } from './event-bus.js';
export type { EventBusOptions } from './event-bus.js';
export type {
  EnvelopeFor,
  EventHandler,
  EventMap,
  EventPattern,
  MatchingTypes,
  PublishOptions,
  SubscribeOptions,
} from './types.js';
export { EventLog } from './event-log.js';
export type { CausalNode, EventTables, LoggedEvent } from './event-log.js';
export { eventMigrations } from './migrations.js';
export { uuidv7 } from './uuid.js';
export { DeadLetters } from './dead-letters.js';
export type { DeadLetter, DeadLetterFilter } from './dead-letters.js';
export { SeedEventBus } from './seed-event-bus.js';
export type { SeedEventBusOptions, SeedHandler } from './seed-event-bus.js';
export { MemoryTransport } from './memory-transport.js';
export type { MemoryTransportOptions } from './memory-transport.js';
export type { Transport, TransportConsumer } from './transport.js';
export type { DurableSubscription } from './durable-consumer.js';
