import { SeedEventBus } from './seed/index.js';
import { DEFAULT_DATABASE_URL, createIntegration, type Integration } from './integration.js';
import { StateSyncManager } from './seed/index.js';
import type { StateTransaction, StateTransactionOptions } from './state/index.js';
import { IntegrationAlerting, IntegrationLogger, IntegrationMetrics } from './seed/index.js';
import { MonitoringManager, currentContext } from './monitoring/index.js';
import { ValidationManager } from './validation/index.js';

/**
 * The seed-style default instances, for code written against the seed's module-level API.
 * Each is created on first use, and they are views of one default integration (one bus, one
 * store). They are a thin layer: the parts never use them; applications and tests build their own
 * integrations with createIntegration.
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

/**
 * The seed's `validation_manager`: registerSchema, validate, validateData, validateCrossSystem, getValidationErrors,
 * validateIntegration.
 */
export const validationManager: ValidationManager = lazy(
  () =>
    new ValidationManager({
      correlationId: () => currentContext()?.correlationId,
      onFailure: (schema) => monitoringManager.metrics.validationFailures.inc({ schema }),
    }),
);

/**
 * The seed's `monitoring_manager`: logging, metrics, health, alerting and budgets together. Call `start()` to evaluate
 * alert rules.
 */
export const monitoringManager: MonitoringManager = lazy(() => new MonitoringManager());

/** The seed's `integration_logger`: `await integrationLogger.log('info' | 20, message, fields)`. */
export const integrationLogger: IntegrationLogger = lazy(() => new IntegrationLogger(monitoringManager.logging));

/** The seed's `integration_metrics`: record, get, summary, increment. */
export const integrationMetrics: IntegrationMetrics = lazy(() => new IntegrationMetrics(monitoringManager.metrics));

/** The seed's `integration_alerting`: alert, getAlert. */
export const integrationAlerting: IntegrationAlerting = lazy(() => new IntegrationAlerting(monitoringManager.alerting));

let defaultWeft: Promise<Integration> | undefined;

/**
 * The default integration behind the seed-style names: on `WEFT_DATABASE_URL`, or the same
 * default as `weft serve` (`sqlite:./data/weft.db`), never a database that vanishes on exit.
 * Opened and migrated on first use; its database logs once where it writes.
 */
export function defaultIntegration(): Promise<Integration> {
  defaultWeft ??= createIntegration({
    database: process.env.WEFT_DATABASE_URL ?? DEFAULT_DATABASE_URL,
    validation: validationManager,
    monitoring: monitoringManager,
  });
  return defaultWeft;
}

/**
 * The seed's `integration_event_bus`: register, `await dispatch(type, payload)`, unregister; a view of the default
 * integration's bus.
 */
export const integrationEventBus: SeedEventBus = lazy(
  () =>
    new SeedEventBus({
      bus: () => defaultIntegration().then((weft) => weft.events),
      validation: validationManager,
      metrics: monitoringManager.metrics,
      logger: monitoringManager.logger('events'),
    }),
);

/** The seed's `event_dispatcher`: the same instance as `integrationEventBus`. */
export const eventDispatcher: SeedEventBus = integrationEventBus;

/**
 * The seed's `state_sync_manager`: subscribe, notifyStateChange, rollback, unsubscribe, and syncState, rollbackState,
 * validateState, getSyncStatus, registerStateSync.
 */
export const stateSyncManager: StateSyncManager = new StateSyncManager(() =>
  defaultIntegration().then((weft) => weft.state),
);

/** `weft.transaction`: a state transaction on the default integration (see StateStore.transaction). */
export async function transaction<T>(
  fn: (tx: StateTransaction) => Promise<T> | T,
  options?: StateTransactionOptions,
): Promise<T> {
  return (await defaultIntegration()).transaction(fn, options);
}
