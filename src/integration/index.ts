// `weft`: the public API, listed by hand. Each part's own public face is also a subpath
// (`weft/database`, `weft/events`, ...); internals are in `weft/internal`, for Weft's tests.

// The composition root and what a system author writes.
export { createIntegration } from './integration.js';
export type { Integration, IntegrationOptions, TransportFactory } from './integration.js';
export { defineSystem } from './system/index.js';
export type {
  CommandInput,
  CommandName,
  CommandOutput,
  Execute,
  OwnEventType,
  SystemCounter,
  SystemDefinition,
  SystemEventOptions,
  SystemEvents,
  SystemGauge,
  SystemHandle,
  SystemHistogram,
  SystemInstrumentOptions,
  SystemLogger,
  SystemMetrics,
  SystemState,
  SystemSubscribeOptions,
  SystemValidation,
  WeftCommands,
  WeftEvents,
} from './system/index.js';
export type {
  Actor,
  CommandContext,
  CommandHandler,
  CommandInfo,
  CommandOptions,
  CommandRef,
  ExecuteOptions,
} from './commands/index.js';
export { defineEvent, uuidv7 } from './events/index.js';
export type {
  BatchOptions,
  DataOf,
  EventDefinition,
  EventEnvelope,
  EventHandler,
  PublishOptions,
  SubscribeOptions,
} from './events/index.js';
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
  StateSlice,
} from './state/index.js';
export type { Schema, ValidationIssue } from './validation/index.js';
export type { Migration } from './database/index.js';

// Errors: one registry of codes and HTTP statuses.
export {
  BadRequestError,
  ConfigError,
  ConflictError,
  ERROR_CODES,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  UsageError,
  ValidationError,
  WeftError,
  isWeftError,
} from './errors/index.js';
export type { BadRequestCode, WeftErrorCode, WeftErrorOptions } from './errors/index.js';

// The parts, for code that uses one on its own.
export { createDatabase, Migrator, StatementCache, unreadWrite } from './database/index.js';
export type { Database, DatabaseOptions, TransactionOptions } from './database/index.js';
export { ContentError, ValidationManager, contentProblem, issue, loadContent } from './validation/index.js';
export type { ContentCheckContext, ContentProblem, ContentReference, ContentSpec } from './validation/index.js';
export { MonitoringManager, runWithContext, currentContext } from './monitoring/index.js';
export type { WeftContext } from './monitoring/index.js';

// The seed's names: the default instances and the classes behind them.
export {
  eventDispatcher,
  integrationAlerting,
  integrationEventBus,
  integrationLogger,
  integrationMetrics,
  monitoringManager,
  stateSyncManager,
  transaction,
  validationManager,
} from './defaults.js';
export {
  IntegrationAlerting,
  IntegrationLogger,
  IntegrationMetrics,
  SeedEventBus,
  StateSyncManager,
} from './seed/index.js';
export type { SeedHandler, SeedStateCallback } from './seed/index.js';
