import { z } from 'zod';
import { routesOf, type GameRoute } from '../../http/index.js';
import { COLLECTIONS, PUBLIC_COLLECTIONS } from './schemas.js';

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

/** The public content routes: each collection, and each record by id, with ETags from the content hash. */
export const dataRoutes: readonly GameRoute[] = routesOf('data', (route) => {
  for (const collection of PUBLIC_COLLECTIONS) {
    const shape = COLLECTIONS[collection].shape;
    route({
      method: 'GET',
      url: `/content/${collection}`,
      access: 'public',
      etag: true,
      summary: `Every record of ${collection}`,
      responses: { 200: z.array(shape) },
      async handle({ execute }) {
        const { etag, records } = await execute('data.collection', { collection });
        return { body: records, etag };
      },
    });
    route({
      method: 'GET',
      url: `/content/${collection}/:id`,
      access: 'public',
      etag: true,
      summary: `One record of ${collection}`,
      params: IdParams,
      responses: { 200: shape },
      async handle({ execute, params }) {
        const { etag, record } = await execute('data.record', { collection, id: params.id });
        return { body: record, etag };
      },
    });
  }
});
