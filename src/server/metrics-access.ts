import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../integration/internal.js';
import { bearerMatches, digest, isLocal } from './operator-access.js';

/**
 * The guard of `/metrics`: open to the machine itself (a local scraper), and from anywhere else to
 * `Authorization: Bearer <metricsToken>` (WEFT_METRICS_TOKEN); without that token, to nobody else.
 */
export function metricsAccess(metricsToken: string | undefined) {
  const expected = metricsToken === undefined ? undefined : digest(metricsToken);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isLocal(request) || bearerMatches(request, expected)) return;
    void reply.header('www-authenticate', 'Bearer realm="weft-metrics"');
    throw new UnauthorizedError(
      '/metrics answers the machine itself, or Authorization: Bearer with WEFT_METRICS_TOKEN.',
    );
  };
}
