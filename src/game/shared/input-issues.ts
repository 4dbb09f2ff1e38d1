import { issue, type ValidationIssue } from '../../integration/index.js';

/**
 * The issue of an id in a command's input that names nothing of a content collection (`unknown class "wizard"`), at
 * the input's field, as the command bus names its own issues and the routes pass body and query fields on. The id
 * was bounded by the input's schema, so it is quoted whole.
 * @example
 * throw new ValidationError('Unknown class "wizard".', { issues: [unknownReference('class', 'class', 'wizard')] });
 */
export function unknownReference(field: string, what: string, id: string): ValidationIssue {
  return issue(
    [field],
    'reference',
    `unknown ${what} ${JSON.stringify(id)}`,
    `an existing ${what}`,
    JSON.stringify(id),
  );
}
