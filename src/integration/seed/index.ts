// The seed's contract, kept for code written against it: module-level names over one default integration.
export { SeedEventBus } from './seed-event-bus.js';
export type { SeedEventBusOptions, SeedHandler } from './seed-event-bus.js';
export { StateSyncManager } from './state-sync-manager.js';
export type { SeedStateCallback } from './state-sync-manager.js';
export { IntegrationAlerting, IntegrationLogger, IntegrationMetrics } from './seed-monitoring.js';
export type { MetricSummary, SeedLevel } from './seed-monitoring.js';
