import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { RateLimitedError, ValidationError, WeftError, issue, type ValidationIssue } from '../integration/internal.js';

/** An RFC 9457 problem document, the body of every error response. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance: string;
  /** For validation failures: every issue, with its path (the first 100). */
  readonly issues?: readonly ValidationIssue[];
  /** For validation failures: issues found beyond those in `issues`. */
  readonly omittedIssues?: number;
}

/** The media type of every error response (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The problem document for an error: Weft errors keep their status and code; an HTTP client error
 * of Fastify or Node (bad JSON, a URL too long) shows its own code; anything else is a 500 whose
 * detail hides driver text.
 */
export function toProblem(error: FastifyError | Error, instance: string): Problem {
  if (hasZodFastifySchemaValidationErrors(error)) return toProblem(requestValidationError(error), instance);
  if (isResponseSerializationError(error)) return internalProblem(instance);
  if (error instanceof WeftError) {
    const problem: Problem = {
      type: `urn:weft:error:${error.code}`,
      title: error.name,
      status: error.status,
      detail: error.message,
      code: error.code,
      instance,
    };
    if (!(error instanceof ValidationError) || error.issues.length === 0) return problem;
    const omitted = error.details.omittedIssues;
    return { ...problem, issues: error.issues, ...(typeof omitted === 'number' ? { omittedIssues: omitted } : {}) };
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, unknown content type) are safe to show.
    const code = 'code' in error && typeof error.code === 'string' ? error.code : 'HTTP_ERROR';
    return { ...clientProblem(status, code, error.message), instance };
  }
  return internalProblem(instance);
}

function internalProblem(instance: string): Problem {
  return {
    type: 'urn:weft:error:WEFT_INTERNAL',
    title: 'Internal error',
    status: 500,
    detail: 'The server failed; see its log.',
    code: 'WEFT_INTERNAL',
    instance,
  };
}

/** At most this many issues of one request reach a client; the rest are counted. */
const MAX_ISSUES = 100;

/**
 * A request that failed its route's zod schema, as Weft says bad input: a ValidationError (422)
 * with every issue at its path, the path starting with where it was (`body`, `params`, `querystring`,
 * `headers`).
 */
function requestValidationError(error: {
  validation: ReadonlyArray<{ instancePath: string; keyword: string; message?: string }>;
  validationContext?: string;
}): ValidationError {
  const where = error.validationContext ?? 'body';
  const issues = error.validation.slice(0, MAX_ISSUES).map((found) => {
    const path = [
      where,
      ...found.instancePath
        .split('/')
        .filter((segment) => segment !== '')
        .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment)),
    ];
    return issue(path, found.keyword, found.message ?? 'invalid');
  });
  const omitted = error.validation.length - issues.length;
  return new ValidationError(`The request's ${where} is not valid.`, {
    issues,
    ...(omitted > 0 ? { details: { omittedIssues: omitted } } : {}),
  });
}

/**
 * A problem document for an HTTP client error that is not a Weft error, titled by its status; without
 * `instance` where no request was read.
 */
export function clientProblem(status: number, code: string, detail: string): Omit<Problem, 'instance'> {
  return { type: `urn:weft:error:${code}`, title: STATUS_CODES[status] ?? 'Bad Request', status, detail, code };
}

/**
 * The one place errors become HTTP responses (the error handler, the not-found handler and
 * Fastify's framework errors all end here). A 5xx is logged as an error with its cause; a refused
 * request (4xx) at info, so a flood of bad requests never fills the ring of recent warnings.
 */
export function problemHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const problem = toProblem(error, request.url);
  // A client told to wait is told for how long (RFC 9110); the rate limiter sets its own header.
  if (error instanceof RateLimitedError) void reply.header('retry-after', String(error.retryAfterSeconds));
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ err: error }, 'request refused');
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}
