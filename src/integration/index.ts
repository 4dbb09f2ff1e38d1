export * from './errors/index.js';
export * from './database/index.js';
export * from './validation/index.js';
export * from './monitoring/index.js';
export { defaultValidationManager, validationManager } from './defaults.js';
