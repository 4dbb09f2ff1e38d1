// The system kit's public face: what a game system is written with.
export { defineSystem } from './define-system.js';
export type { SystemDefinition } from './define-system.js';
export type { Execute, SystemHandle, SystemLogger } from './system-handle.js';
export type { OwnEventType, SystemEventOptions, SystemEvents, SystemSubscribeOptions } from './system-events.js';
export type { SystemState } from './system-state.js';
export type {
  SystemCounter,
  SystemGauge,
  SystemHistogram,
  SystemInstrumentOptions,
  SystemMetrics,
} from './system-metrics.js';
export type { SystemValidation } from './system-validation.js';
export type {
  CommandInput,
  CommandName,
  CommandOutput,
  DeclaredEnvelope,
  DeclaredEvents,
  DeclaredPattern,
  WeftCommands,
  WeftEvents,
} from './registry.js';
