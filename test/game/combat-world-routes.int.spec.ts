import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestIntegration, type TestIntegration } from 'weft/testing';
import { gameSystems } from '../../src/game/index.js';
import { combatRoutes } from '../../src/game/systems/combat/routes.js';
import { worldStateRoutes } from '../../src/game/systems/world_state/routes.js';
import { World } from '../../src/game/systems/world_state/schemas.js';
import { mountGameRoutes } from '../../src/server/game-api.js';

describe('the combat and world state routes', () => {
  let weft: TestIntegration;
  afterEach(async () => {
    await weft.close();
  });

  it('mount with their schemas, each with its access, into the OpenAPI document', async () => {
    weft = await createTestIntegration();
    await weft.install(...gameSystems());
    const app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(swagger, {
      openapi: {
        info: { title: 'weft', version: '0' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
      transform: jsonSchemaTransform,
    });
    const routes = [...combatRoutes, ...worldStateRoutes];
    mountGameRoutes(app, weft, routes);
    await app.ready();
    expect(routes.map((r) => `${r.method} ${r.url} ${r.access}${r.idempotent ? ' idempotent' : ''}`)).toEqual([
      'POST /characters/:id/encounters player idempotent',
      'GET /encounters/:id player',
      'GET /encounters/:id/replay player',
      'GET /world public',
      'POST /characters/:id/travel player idempotent',
      'POST /admin/world/tick admin',
    ]);
    const paths: Record<string, unknown> = app.swagger().paths ?? {};
    for (const route of routes) {
      const path = paths[route.url.replace(/:(\w+)/g, '{$1}')] as Record<string, { responses?: object }> | undefined;
      expect(path?.[route.method.toLowerCase()]?.responses, `${route.method} ${route.url}`).toBeDefined();
    }
    const world = await app.inject({ method: 'GET', url: '/world' });
    expect(world.statusCode).toBe(200);
    expect(World.parse(world.json()).clock).toEqual({ tick: 0, at: null });
    await app.close();
  });
});
