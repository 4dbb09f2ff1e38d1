export * from './errors/index.js';
export * from './database/index.js';
export * from './validation/index.js';
export * from './monitoring/index.js';
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
export * from './events/index.js';
export * from './state/index.js';
export { createIntegration } from './integration.js';
export type { Integration, IntegrationOptions } from './integration.js';
