import { SeedEventBus } from './seed/index.js';
import { createIntegration } from './integration.js';
import { StateSyncManager } from './seed/index.js';
import type { StateStore, StateTransaction, StateTransactionOptions } from './state/index.js';
import { IntegrationAlerting, IntegrationLogger, IntegrationMetrics } from './seed/index.js';
import { MonitoringManager } from './monitoring/index.js';
import { ValidationManager } from './validation/index.js';

/**
 * The seed-style default instances, for code written against the seed's module-level API.
 * Each is created on first use. They are a thin layer: the parts never use them, and tests and
 * applications build their own instances (createIntegration, as the composition root lands).
 */

/** An object that creates its instance on first use and forwards to it. */
function lazy<T extends object>(create: () => T): T {
  let instance: T | undefined;
  const target = (): T => (instance ??= create());
  return new Proxy({} as T, {
    get(_, property) {
      const value: unknown = Reflect.get(target(), property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target()) : value;
    },
    has: (_, property) => property in target(),
  });
}

/** The seed's `validation_manager`: registerSchema, validate, validateData, validateCrossSystem, getValidationErrors, validateIntegration. */
export const validationManager: ValidationManager = lazy(() => new ValidationManager());

/** The seed's `monitoring_manager`: logging, metrics, health, alerting and budgets together. Call `start()` to evaluate alert rules. */
export const monitoringManager: MonitoringManager = lazy(() => new MonitoringManager());

/** The seed's `integration_logger`: `await integrationLogger.log('info' | 20, message, fields)`. */
export const integrationLogger: IntegrationLogger = lazy(() => new IntegrationLogger(monitoringManager.logging));

/** The seed's `integration_metrics`: record, get, summary, increment. */
export const integrationMetrics: IntegrationMetrics = lazy(() => new IntegrationMetrics(monitoringManager.metrics));

/** The seed's `integration_alerting`: alert, getAlert. */
export const integrationAlerting: IntegrationAlerting = lazy(() => new IntegrationAlerting(monitoringManager.alerting));

/** The seed's `integration_event_bus`: register, `await dispatch(type, payload)`, unregister. */
export const integrationEventBus: SeedEventBus = lazy(
  () =>
    new SeedEventBus({
      validation: validationManager,
      metrics: monitoringManager.metrics,
      logger: monitoringManager.logger('events'),
    }),
);

/** The seed's `event_dispatcher`: the same instance as `integrationEventBus`. */
export const eventDispatcher: SeedEventBus = integrationEventBus;

let defaultStore: Promise<StateStore> | undefined;

/** The default state store: on WEFT_DATABASE_URL, or an in-memory SQLite database, migrated on first use. */
function defaultStateStore(): Promise<StateStore> {
  defaultStore ??= createIntegration({
    database: process.env.WEFT_DATABASE_URL ?? 'sqlite::memory:',
    validation: validationManager,
    monitoring: monitoringManager,
  }).then((integration) => integration.state);
  return defaultStore;
}

/** The seed's `state_sync_manager`: subscribe, notifyStateChange, rollback, unsubscribe, and syncState, rollbackState, validateState, getSyncStatus, registerStateSync. */
export const stateSyncManager: StateSyncManager = new StateSyncManager(defaultStateStore);

/** `weft.transaction`: a state transaction on the default store (see StateStore.transaction). */
export async function transaction<T>(
  fn: (tx: StateTransaction) => Promise<T> | T,
  options?: StateTransactionOptions,
): Promise<T> {
  return (await defaultStateStore()).transaction(fn, options);
}
