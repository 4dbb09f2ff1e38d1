export { buildApp } from './app.js';
export type { AppOptions } from './app.js';
export { DEFAULT_DATABASE_URL, readServeConfig } from './config.js';
export type { LogLevel, ServeConfig } from './config.js';
export { problemHandler } from './problem.js';
export type { Problem } from './problem.js';
export { closeOnSignals, startServer } from './serve.js';
export type { RunningServer } from './serve.js';
