// `weft/internal`: every part's inside face, for Weft's own tests and benchmarks. Not a stable API.
export * from './async-context/internal.js';
export * from './errors/internal.js';
export * from './database/internal.js';
export * from './validation/internal.js';
export * from './monitoring/internal.js';
export * from './events/internal.js';
export * from './state/internal.js';
export * from './commands/internal.js';
export * from './system/internal.js';
export * from './seed/index.js';
export { DEFAULT_DATABASE_URL, PART_MIGRATIONS, createIntegration } from './integration.js';
export type { Integration, IntegrationOptions, TransportFactory } from './integration.js';
export {
  defaultIntegration,
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
