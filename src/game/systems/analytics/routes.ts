import { z } from 'zod';
import { queryInt, routesOf, type GameRoute } from '../../http/index.js';
import { Summary } from './schemas.js';

/** The operators' view of the game's activity. */
export const analyticsRoutes: readonly GameRoute[] = routesOf('analytics', (route) => {
  route({
    method: 'GET',
    url: '/admin/analytics/summary',
    access: 'admin',
    summary: 'Events per type and system, active characters and gold by source and sink, per hour',
    query: z.strictObject({ hours: queryInt(1, 168).optional() }),
    responses: { 200: Summary },
    async handle({ query, execute }) {
      return { body: await execute('analytics.summary', query.hours === undefined ? {} : { hours: query.hours }) };
    },
  });
});
