import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Helmet's security headers on every response, its defaults unchanged. With fixed options helmet sets the same
 * headers on every response, so they are taken from it once and handed to each reply as one object: running its
 * thirteen middlewares on each request (each a `setHeader` with Node's checks) took about a quarter of an
 * authenticated read's time in `npm run bench -- http`, and `@fastify/helmet` also built them again on each request.
 */
export function registerSecurityHeaders(app: FastifyInstance, headers: Readonly<Record<string, string>>): void {
  app.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}

/** The headers helmet's default middleware sets, run once on a response that only records them. */
export function helmetHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: number | string | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  let finished = false;
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
    finished = true;
  });
  // Helmet's default middlewares are synchronous; one that is not would leave headers out, so it stops the start.
  if (!finished || failure !== undefined) {
    throw new Error('helmet did not set its headers synchronously', { cause: failure });
  }
  return Object.freeze(headers);
}
