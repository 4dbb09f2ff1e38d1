import { BadRequestError, LOG_LEVELS, ValidationError, issue, type LogLevel } from '../integration/internal.js';

/** What `PUT /logs/levels/:system` asks for, once checked. */
export interface LevelChange {
  readonly system: string;
  readonly level: LogLevel;
}

/** `*`, or a system name as the system kit accepts it (snake_case). */
const SYSTEM_NAME = /^(?:\*|[a-z][a-z0-9_]*)$/;

/**
 * Checks a level change before it reaches the logger: a body that is not a JSON object is a
 * BadRequestError (400), a system name that could never be one, a level that is not one or a field
 * other than `level` is a ValidationError (422), as the game's strict schemas refuse unknown fields.
 * Whether the system is known is the logger's call (404).
 */
export function parseLevelChange(system: string, body: unknown): LevelChange {
  if (!SYSTEM_NAME.test(system)) {
    throw new ValidationError('The system is "*" or a snake_case system name.', {
      issues: [
        {
          path: ['system'],
          pathText: '$.system',
          code: 'invalid_format',
          message: 'not a system name',
          expected: '"*" or snake_case',
          received: JSON.stringify(system.slice(0, 100)),
        },
      ],
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('The body is a JSON object such as {"level":"debug"}.');
  }
  const level = (body as { level?: unknown }).level;
  if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ValidationError(`"level" must be one of ${LOG_LEVELS.join(', ')}`, {
      issues: [
        {
          path: ['level'],
          pathText: '$.level',
          code: 'invalid_value',
          message: 'not a log level',
          expected: LOG_LEVELS.join(' | '),
          received: JSON.stringify(level)?.slice(0, 100) ?? 'undefined',
        },
      ],
    });
  }
  const unknown = Object.keys(body).filter((key) => key !== 'level');
  if (unknown.length > 0) {
    throw new ValidationError('The body of a level change holds "level" only.', {
      issues: unknown
        .slice(0, 10)
        .map((key) => issue([key], 'unrecognized_keys', 'not a field of a level change', '"level" only')),
    });
  }
  return { system, level: level as LogLevel };
}
