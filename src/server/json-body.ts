import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { z } from 'zod';
import { BadRequestError } from '../integration/internal.js';

/**
 * The API's JSON body parser, in place of Fastify's own: the same parse (secure-json-parse, refusing `__proto__` and
 * `constructor.prototype` keys, which could poison an object's prototype), but each refusal says what is wrong, as a
 * WEFT_BAD_REQUEST: Fastify's answers a body with a `__proto__` key with "Body is not valid JSON", which it is.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request: FastifyRequest, body, done) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** A request body parsed as JSON; BadRequestError (400) for an empty body, bad JSON, or a key that poisons. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw new BadRequestError('The body is empty: send a JSON document, or no Content-Type header with no body.');
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    if (error instanceof SyntaxError && /prototype property/.test(error.message)) {
      throw new BadRequestError(
        'The body holds a "__proto__" or "constructor": { "prototype" } key, which is refused.',
      );
    }
    // JSON.parse's message names the fault, and V8's quotes characters of the body around it, which may be part of a
    // password: that quote is left out, as the message reaches the log.
    throw new BadRequestError(`The body is not valid JSON: ${withoutQuote(error)}`);
  }
}

/**
 * A `preValidation` hook for a route that takes a body: a request without one is refused as such (400), not as a body
 * that fails its schema (422, which would speak of a null body).
 */
export function requireBody(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  done(
    request.body === undefined
      ? new BadRequestError('This route takes a JSON body (Content-Type: application/json).')
      : undefined,
  );
}

/** The body of a route that takes none: nothing, or an empty object (which some clients always send); any other 422. */
export const NO_BODY = z.strictObject({}).nullish();

/**
 * A JSON.parse error's message without the body's text: V8's `Unexpected token 'x', ..."ab x cd"... is not valid JSON`
 * quotes the faulty character and those around it. Its other messages name a position, which is kept.
 */
function withoutQuote(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^Unexpected token\b/.test(message) || message.includes('"') ? 'Unexpected token in JSON' : message;
}
