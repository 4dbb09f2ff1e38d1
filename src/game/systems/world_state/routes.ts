import { z } from 'zod';
import { routesOf, type GameRoute } from '../../http/index.js';
import { Tick, Travelled, World } from './schemas.js';

const Id = z.strictObject({ id: z.string().min(1).max(64) });

/** The world map and clock, travel, and the operators' tick. */
export const worldStateRoutes: readonly GameRoute[] = routesOf('world_state', (route) => {
  route({
    method: 'GET',
    url: '/world',
    // The regions are public content already; the clock tells nothing about any player.
    access: 'public',
    summary: 'The regions, the links between them, and the world clock',
    responses: { 200: World },
    async handle({ execute }) {
      return { body: await execute('world_state.world', {}) };
    },
  });
  route({
    method: 'POST',
    url: '/characters/:id/travel',
    access: 'player',
    idempotent: true,
    summary: 'Move a character to a region linked to its own (409: not linked, or there already)',
    params: Id,
    body: z.strictObject({ regionId: z.string().min(1).max(64) }),
    responses: { 200: Travelled },
    async handle({ params, body, execute }) {
      return { body: await execute('world_state.travel', { characterId: params.id, regionId: body.regionId }) };
    },
  });
  route({
    method: 'POST',
    url: '/admin/world/tick',
    access: 'admin',
    summary: 'Advance the world clock by one tick now (the server also ticks every WEFT_WORLD_TICK_MS)',
    responses: { 200: Tick },
    async handle({ execute }) {
      return { body: await execute('world_state.tick', {}) };
    },
  });
});
