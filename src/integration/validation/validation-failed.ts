import { ValidationError, type ValidationIssue } from '../errors/internal.js';
import { formatIssues } from './issues.js';

/** What a failed validation carries: the issues reported, and how many more were found. */
export interface FailedValidation {
  readonly issues: readonly ValidationIssue[];
  readonly omittedIssues: number;
}

/**
 * The ValidationError (422) of a failed validation: `Invalid <subject>:` and one line per issue,
 * the issues, and `details.omittedIssues` when more were found than reported.
 * @example throw validationFailed(`${slice}/${key}`, result, { system: slice, key })
 */
export function validationFailed(
  subject: string,
  failure: FailedValidation,
  details: Readonly<Record<string, unknown>> = {},
): ValidationError {
  const more = failure.omittedIssues > 0 ? `\n... and ${failure.omittedIssues} more issues` : '';
  return new ValidationError(`Invalid ${subject}:\n${formatIssues(failure.issues)}${more}`, {
    issues: failure.issues,
    details: failure.omittedIssues > 0 ? { ...details, omittedIssues: failure.omittedIssues } : details,
  });
}
