// The validation part's face inside Weft: the public face, and what other parts and tests may use.
export * from './index.js';
export { describeValue, issue } from './issues.js';
export { matches as matchesEventPattern } from './integration-lint.js';
export { parseSettings } from './settings.js';
export { validationFailed } from './validation-failed.js';
export type { FailedValidation } from './validation-failed.js';
