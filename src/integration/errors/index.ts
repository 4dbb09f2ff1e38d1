export {
  BadRequestError,
  ConfigError,
  ConflictError,
  ForbiddenError,
  ERROR_CODES,
  NotFoundError,
  RateLimitedError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  UsageError,
  ValidationError,
  WeftError,
  isWeftError,
} from './weft-error.js';
export type { BadRequestCode, ValidationIssue, WeftErrorCode, WeftErrorOptions } from './weft-error.js';
