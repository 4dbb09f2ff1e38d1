import { ValidationManager } from './validation/index.js';

/**
 * The seed-style default instances, for code written against the seed's module-level API.
 * They are a thin layer: the parts never use them, and tests build their own instances.
 * More arrive with their parts (integrationEventBus, stateSyncManager, monitoringManager, ...).
 */

let validation: ValidationManager | undefined;

/** The default ValidationManager, created on first use. */
export function defaultValidationManager(): ValidationManager {
  validation ??= new ValidationManager();
  return validation;
}

/** The seed's `validation_manager`: registerSchema, validate, validateData, validateCrossSystem, getValidationErrors, validateIntegration. */
export const validationManager: Pick<
  ValidationManager,
  'registerSchema' | 'validate' | 'validateData' | 'validateCrossSystem' | 'getValidationErrors' | 'validateIntegration' | 'registerReference' | 'registerRule' | 'assertValid' | 'toJSONSchema'
> = {
  registerSchema: (...args) => defaultValidationManager().registerSchema(...args),
  validate: (...args) => defaultValidationManager().validate(...args),
  validateData: (...args) => defaultValidationManager().validateData(...args),
  validateCrossSystem: (...args) => defaultValidationManager().validateCrossSystem(...args),
  getValidationErrors: (...args) => defaultValidationManager().getValidationErrors(...args),
  validateIntegration: (...args) => defaultValidationManager().validateIntegration(...args),
  registerReference: (...args) => defaultValidationManager().registerReference(...args),
  registerRule: (...args) => defaultValidationManager().registerRule(...args),
  assertValid: (...args) => defaultValidationManager().assertValid(...args),
  toJSONSchema: (...args) => defaultValidationManager().toJSONSchema(...args),
};
