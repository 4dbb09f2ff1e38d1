import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError, WeftError, type ValidationIssue } from '../integration/internal.js';

/** An RFC 9457 problem document, the body of every error response. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance: string;
  /** For validation failures: every issue, with its path. */
  readonly issues?: readonly ValidationIssue[];
}

/**
 * The one place errors become HTTP responses. Weft errors keep their status and code; anything
 * else is a 500 whose detail hides driver text (it is logged, not shown).
 */
export function problemHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  let problem: Problem;
  if (error instanceof WeftError) {
    problem = {
      type: `urn:weft:error:${error.code}`,
      title: error.name,
      status: error.status,
      detail: error.message,
      code: error.code,
      instance: request.url,
    };
    if (error instanceof ValidationError && error.issues.length > 0) problem = { ...problem, issues: error.issues };
  } else if ('statusCode' in error && typeof error.statusCode === 'number' && error.statusCode < 500) {
    // Fastify's own client errors (bad JSON, unknown content type) are safe to show.
    const code = 'code' in error && typeof error.code === 'string' ? error.code : 'HTTP_ERROR';
    problem = {
      type: `urn:weft:error:${code}`,
      title: 'Bad request',
      status: error.statusCode,
      detail: error.message,
      code,
      instance: request.url,
    };
  } else {
    problem = {
      type: 'urn:weft:error:WEFT_INTERNAL',
      title: 'Internal error',
      status: 500,
      detail: 'The server failed; see its log.',
      code: 'WEFT_INTERNAL',
      instance: request.url,
    };
  }
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ err: error }, 'request refused');
  return reply.status(problem.status).type('application/problem+json').send(problem);
}
