import { z } from 'zod';
import { routesOf, type GameRoute } from '../../http/index.js';
import { CraftResult } from './index.js';

/** Crafting: one route. */
export const craftingRoutes: readonly GameRoute[] = routesOf('crafting', (route) => {
  route({
    method: 'POST',
    url: '/characters/:id/craft',
    access: 'player',
    idempotent: true,
    summary: 'Craft a recipe: ingredients taken, fee paid, output given, in one transaction',
    params: z.strictObject({ id: z.string().min(1).max(64) }),
    body: z.strictObject({ recipeId: z.string().min(1).max(64), times: z.int().min(1).max(100).optional() }),
    responses: { 200: CraftResult },
    async handle({ params, body, execute }) {
      return { body: await execute('crafting.craft', { characterId: params.id, ...body }) };
    },
  });
});
