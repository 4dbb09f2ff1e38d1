// The events part's public face (`weft/events`). What only Weft's own parts use is in internal.ts.
export { defineEvent } from './definition.js';
export type { DataOf, EventDefinition } from './definition.js';
export type { EventEnvelope, LoggedEvent } from './envelope.js';
export { uuidv7 } from './uuid.js';
export type { EventBus, EventBusOptions } from './event-bus.js';
export type {
  BatchOptions,
  EnvelopeFor,
  EventHandler,
  EventMap,
  EventPattern,
  MatchingTypes,
  PublishOptions,
  SubscribeOptions,
} from './types.js';
export type { CausalNode } from './event-log.js';
export type { DeadLetter, DeadLetterCount, DeadLetterFilter, DeadLetters } from './dead-letters.js';
export type { BacklogQuery, EventBacklog, PrefixBacklog, SubscriptionBacklog } from './backlog.js';
export { MemoryTransport } from './memory-transport.js';
export type { MemoryTransportOptions } from './memory-transport.js';
export { NatsTransport, type NatsTransportOptions } from './nats/index.js';
export { SubscriptionLeaseLostError } from './subscription-lease.js';
export type { SubscriptionRebuild } from './subscription-rewind.js';
export type { Transport, TransportStream, TransportSubscription } from './transport.js';
export {
  readEventTrace,
  type EventTrace,
  type EventTraceOptions,
  type HandlerOutcome,
  type TracedEvent,
} from './trace.js';
