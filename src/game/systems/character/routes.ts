import { z } from 'zod';
import { routesOf, type GameRoute } from '../../http/index.js';
import { Character } from './schemas.js';

const Id = z.strictObject({ id: z.string().min(1).max(64) });

/** A player's characters: create, list, read. */
export const characterRoutes: readonly GameRoute[] = routesOf('character', (route) => {
  route({
    method: 'POST',
    url: '/characters',
    access: 'player',
    summary: 'Create a character',
    // Shape only here; the rules, said in the OpenAPI document, are the command's (a 422 names the field).
    body: z.strictObject({
      name: z
        .string()
        .max(64)
        .describe(
          '3 to 24 letters, digits, spaces, apostrophes or hyphens, starting with a letter (trimmed); unique ' +
            'whatever its case',
        ),
      class: z.string().max(40).describe('a class id of GET /content/classes'),
    }),
    responses: { 201: Character },
    async handle({ body, execute }) {
      return { status: 201, body: await execute('character.create', body) };
    },
  });
  route({
    method: 'GET',
    url: '/characters',
    access: 'player',
    summary: 'My characters',
    responses: { 200: z.strictObject({ characters: z.array(Character) }) },
    async handle({ execute }) {
      return { body: await execute('character.list', {}) };
    },
  });
  route({
    method: 'GET',
    url: '/characters/:id',
    access: 'player',
    summary: 'One of my characters (another player’s is a 404)',
    params: Id,
    responses: { 200: Character },
    async handle({ params, execute }) {
      return { body: await execute('character.get', { characterId: params.id }) };
    },
  });
  route({
    method: 'POST',
    url: '/characters/:id/use',
    access: 'player',
    idempotent: true,
    summary: 'Use a consumable (a potion heals; 409 at full hp, where it would do nothing, and the item is kept)',
    params: Id,
    body: z.strictObject({ itemId: z.string().min(1).max(64) }),
    responses: { 200: z.strictObject({ hp: z.int(), maxHp: z.int() }) },
    async handle({ params, body, execute }) {
      return { body: await execute('character.use_item', { characterId: params.id, itemId: body.itemId }) };
    },
  });
});
