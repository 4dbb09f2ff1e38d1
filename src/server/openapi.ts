import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { routeTransform, withRouteNotes } from './openapi-routes.js';

/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas (`GET /openapi.json`), and
 * Swagger UI over it (`GET /docs`). Registered before any route, so every route is in it. Beyond
 * the schemas, each operation lists the problem documents it can answer and, where the route takes
 * one, the `Idempotency-Key` header (openapi-routes.ts).
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  // The app has accounts when it mounts game routes (each declares its access); the document is
  // built on the first request for it, after every route is registered.
  let accounts = false;
  app.addHook('onRoute', (route) => {
    if (route.config?.access !== undefined && route.config.operator !== true) accounts = true;
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Weft game API',
        description:
          'The reference game backend built on Weft. Errors are RFC 9457 problem documents (application/problem+json).',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'POST /auth/login gives one' },
        },
      },
    },
    transform: routeTransform(() => accounts),
    // Zod schemas registered with an id (z.globalRegistry) become components, which routes' `$ref`s
    // to them need; a recursive schema only resolves that way (fastify-type-provider-zod issue 210).
    transformObject: (document) => withRouteNotes(jsonSchemaTransformObject(document)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
