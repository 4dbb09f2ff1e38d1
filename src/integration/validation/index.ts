// The validation part's public face (`weft/validation`). What only Weft's own parts use is in internal.ts.
export { ValidationManager } from './validation-manager.js';
export type { ValidationManagerOptions, ValidationResult } from './validation-manager.js';
export type { Schema, SchemaEntry, SchemaOptions } from './schema-registry.js';
export type { ValidationIssue } from './issues.js';
export { formatIssues, formatPath, issue } from './issues.js';
export { DEFAULT_LIMITS } from './limits.js';
export type { ValidationLimits } from './limits.js';
export type { ReferenceId, ReferenceRule } from './references.js';
export type { BusinessRule, RuleContext, RuleOutcome, RuleViolation } from './rules.js';
export type { ValidationFailure } from './failure-log.js';
export type { IntegrationProblem, IntegrationReport, IntegrationWiring } from './integration-lint.js';
export { ContentError, contentProblem, loadContent } from './content-loader.js';
export type { ContentCheckContext, ContentProblem, ContentReference, ContentSpec } from './content-loader.js';
