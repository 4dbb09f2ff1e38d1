export * from './errors/index.js';
export * from './database/index.js';
