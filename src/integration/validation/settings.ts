import type { z } from 'zod';
import { ConfigError } from '../errors/internal.js';
import { fromZodIssue } from './issues.js';

/**
 * Checks Weft's own settings against a schema. A wrong one stops the start with one message
 * naming each setting, the value received and what is accepted; a misspelt key is refused
 * (use strict objects), never silently defaulted.
 * @example const options = parseSettings(optionsSchema, input, 'ValidationManager options')
 */
export function parseSettings<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((raw) => {
    const issue = fromZodIssue(raw, value);
    const setting = issue.path.join('.') || '(root)';
    if (issue.code === 'unrecognized_keys') {
      return `unknown setting ${issue.received ?? ''}${setting === '(root)' ? '' : ` in ${setting}`}`;
    }
    const facts = [
      issue.expected === undefined ? '' : `accepted: ${issue.expected}`,
      issue.received === undefined ? '' : `received: ${issue.received}`,
    ].filter(Boolean);
    return `setting ${setting}: ${issue.message}${facts.length > 0 ? ` (${facts.join('; ')})` : ''}`;
  });
  throw new ConfigError(`Invalid ${where}: ${lines.join('; ')}.`, {
    details: { issues: result.error.issues.map((raw) => fromZodIssue(raw, value)) },
  });
}
