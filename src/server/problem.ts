import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
  WeftError,
  issue,
  type BadRequestCode,
  type ValidationIssue,
} from '../integration/internal.js';

/**
 * An RFC 9457 problem document, the body of every error response; beside these members, the extension members a Weft
 * error carries (`WeftErrorOptions.extensions`), such as a refused rollback's `conflicts`.
 */
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
 * of Fastify or a plugin (a malformed URL, a body too large) becomes the Weft error of its status
 * (`asWeftError`); anything else is a 500 whose detail hides driver text.
 */
export function toProblem(error: FastifyError | Error, instance: string): Problem {
  if (hasZodFastifySchemaValidationErrors(error)) return toProblem(requestValidationError(error), instance);
  if (isResponseSerializationError(error)) return internalProblem(instance);
  if (error instanceof WeftError) {
    const problem: Problem = {
      // Extension members first: the standard ones always say what RFC 9457 means by them.
      ...(error.status >= 500 ? {} : error.extensions),
      type: `urn:weft:error:${error.code}`,
      // A refusal of the request as such is titled by its status ("Payload Too Large"), which says more than a class.
      title: error instanceof BadRequestError ? (STATUS_CODES[error.status] ?? error.name) : error.name,
      status: error.status,
      detail: error.status >= 500 ? serverFailureDetail(error.status) : error.message,
      code: error.code,
      instance,
    };
    if (!(error instanceof ValidationError) || error.issues.length === 0) return problem;
    const omitted = error.details.omittedIssues;
    return { ...problem, issues: error.issues, ...(typeof omitted === 'number' ? { omittedIssues: omitted } : {}) };
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) return toProblem(asWeftError(status, error), instance);
  return internalProblem(instance);
}

/** The code of each HTTP refusal a request can meet before Weft's own checks, by status. */
const REFUSALS: Readonly<Record<number, BadRequestCode>> = {
  400: 'WEFT_BAD_REQUEST',
  405: 'WEFT_METHOD_NOT_ALLOWED',
  408: 'WEFT_REQUEST_TIMEOUT',
  413: 'WEFT_PAYLOAD_TOO_LARGE',
  414: 'WEFT_URI_TOO_LONG',
  415: 'WEFT_UNSUPPORTED_MEDIA_TYPE',
  431: 'WEFT_HEADERS_TOO_LARGE',
};

/** The Weft errors of the other client statuses Fastify or a plugin may answer with, by status. */
const CLIENT_ERRORS: Readonly<Record<number, (message: string, cause: Error) => WeftError>> = {
  401: (message, cause) => new UnauthorizedError(message, { cause }),
  403: (message, cause) => new ForbiddenError(message, { cause }),
  404: (message, cause) => new NotFoundError(message, { cause }),
  409: (message, cause) => new ConflictError(message, { cause }),
  422: (message, cause) => new ValidationError(message, { cause }),
};

/**
 * A client error of Fastify, Node or a plugin as the Weft error of its status, so that every answer's code is in
 * the registry (ERROR_CODES) whatever raised it. Their messages (a body too large, a bad URL) are safe to show; a 4xx
 * status with no code of its own (a Range a static file cannot serve) is a plain 400.
 */
export function asWeftError(status: number, error: Error): WeftError {
  const refusal = REFUSALS[status];
  if (refusal !== undefined) return new BadRequestError(error.message, { code: refusal, cause: error });
  return CLIENT_ERRORS[status]?.(error.message, error) ?? new BadRequestError(error.message, { cause: error });
}

/**
 * What a client is told of a failure of the server (5xx) of Weft's own: its code says which, this says what to do. The
 * message stays in the log only: it names what failed, and where (`PostgreSQL at db:5432/game as weft is unavailable:
 * <the driver's text>`, a SQLite file's path, a NATS server's URL), which is for operators, never for anyone who asks.
 */
function serverFailureDetail(status: number): string {
  if (status === 503)
    return 'The server cannot answer this now; try again shortly. The request id finds why in its log.';
  if (status === 504) return 'The server took too long and stopped; try again. The request id finds why in its log.';
  return 'The server failed; see its log.';
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
 * The problem document of a request refused before one was read (the HTTP parser's refusals, written on the socket):
 * no `instance`, as there is no request to name.
 */
export function refusalProblem(status: number, detail: string): Omit<Problem, 'instance'> {
  const problem = toProblem(asWeftError(status, new Error(detail)), '');
  return {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
  };
}

/**
 * Fastify's refusals of a body say only their status ("Unsupported Media Type", "Request body is too large"); as
 * Weft errors they say what the server takes instead: JSON, and at most the route's body limit.
 */
function refusalOfBody(error: FastifyError | Error, request: FastifyRequest): FastifyError | Error {
  const code = 'code' in error ? error.code : undefined;
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const received = String(request.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
      .slice(0, 100);
    const sent = received === undefined || received === '' ? 'has no Content-Type' : `is ${received}`;
    return new BadRequestError(
      `The body ${sent}; this server takes JSON only: send it with Content-Type: application/json.`,
      { code: 'WEFT_UNSUPPORTED_MEDIA_TYPE', cause: error },
    );
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit;
    // A route's own limit need not be whole KB: rounded down, 1,000 bytes would read "0 KB".
    const size = limit % 1024 === 0 ? `${limit / 1024} KB` : `${limit} bytes`;
    return new BadRequestError(`The body is larger than the server accepts (${size}).`, {
      code: 'WEFT_PAYLOAD_TOO_LARGE',
      cause: error,
    });
  }
  return error;
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
  const problem = toProblem(refusalOfBody(error, request), request.url);
  // A client told to wait is told for how long (RFC 9110); the rate limiter sets its own header.
  if (error instanceof RateLimitedError) void reply.header('retry-after', String(error.retryAfterSeconds));
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ err: error }, 'request refused');
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}
