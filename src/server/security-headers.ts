import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Helmet's security headers on every response, its defaults unchanged. `@fastify/helmet` builds helmet's
 * middleware again for each request (parsing the CSP directives each time), which was a twentieth of an
 * authenticated read in `npm run bench -- http`; helmet's options here are fixed, so its middleware is built once.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  const middleware = helmet();
  app.addHook('onRequest', (request, reply, done) => {
    middleware(request.raw, reply.raw, (error?: unknown) => {
      if (error === undefined) done();
      else done(error instanceof Error ? error : new Error('Setting the security headers failed.', { cause: error }));
    });
  });
}
