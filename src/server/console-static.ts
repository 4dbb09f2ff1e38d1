import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../integration/internal.js';

/** Where `npm run build:console` writes the console: `dist/console` at the repository's root. */
export const CONSOLE_BUILD = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/**
 * Serves the operator console's built files at `/console/` (`/console` redirects there). The page is
 * public; every data route it calls needs the admin role. Without a build, `/console/` answers a 404
 * problem saying how to make one, rather than failing the start.
 */
export async function registerConsoleStatic(app: FastifyInstance, root: string = CONSOLE_BUILD): Promise<void> {
  app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/', 308));
  const page = join(root, 'index.html');
  if (!existsSync(page)) {
    app.get('/console/*', { schema: { hide: true } }, () => {
      throw new NotFoundError(`The console is not built (no ${page}): run npm run build:console.`);
    });
    return;
  }
  await app.register(fastifyStatic, { root, prefix: '/console/', decorateReply: false, index: 'index.html' });
}
