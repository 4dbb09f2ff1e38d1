// What the game's HTTP tests share: the game installed on a test database, the app that serves it,
// and players who register and sign in through it.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { MonitoringManager, type LoggerOptions } from 'weft/internal';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';
import { gameRoutes, gameSystems, type GameOptions } from '../../src/game/index.js';
import { buildApp } from '../../src/server/index.js';
import type { RateLimits } from '../../src/server/game-api.js';

/** A player signed in through the API: its account and the headers that carry its access token. */
export interface Player {
  readonly userId: string;
  readonly username: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly auth: { readonly authorization: string };
}

/** The game served by an app on a test integration. */
export interface GameApp {
  readonly weft: TestIntegration;
  readonly app: FastifyInstance;
  /** The app's logs, metrics and alerts: what the operator routes read and change (log levels). */
  readonly monitoring: MonitoringManager;
  readonly adminPassword: string;
  /** Every route the app registered: method, URL pattern, and the access a game route declares. */
  readonly routes: ReadonlyArray<{
    readonly method: string;
    readonly url: string;
    readonly access: string | undefined;
    /** Whether the game route takes an Idempotency-Key. */
    readonly idempotent: boolean;
    /** The request schemas the route was registered with (zod, for the game's routes). */
    readonly schema: RouteRequestSchemas;
  }>;
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Registers and signs in a player (username from `name`). */
  player(name: string): Promise<Player>;
  /** Signs in the admin account. */
  admin(): Promise<Player>;
  close(): Promise<void>;
}

/** What a route validates requests with, as it was registered. */
export interface RouteRequestSchemas {
  readonly body?: unknown;
  readonly params?: unknown;
  readonly querystring?: unknown;
}

export const PASSWORD = 'correct horse battery';
export const ADMIN_PASSWORD = 'the admin password of the tests';

/** The game on a fresh test database, served by `buildApp` (no socket: `app.inject`). */
export async function gameApp(
  options: TestIntegrationOptions & {
    readonly game?: GameOptions;
    readonly rateLimits?: RateLimits;
    /** The app's logging; default silent. */
    readonly logger?: LoggerOptions;
  } = {},
): Promise<GameApp> {
  const { game, rateLimits, logger, ...integration } = options;
  const weft = await createTestIntegration({ pollIntervalMs: 20, ...integration });
  await weft.install(...gameSystems(game));
  await weft.execute('auth_user.bootstrap_admin', { password: ADMIN_PASSWORD });
  const monitoring = new MonitoringManager({ logger: logger ?? { level: 'silent' }, processMetrics: false });
  const app = buildApp({
    monitoring,
    state: weft.state,
    game: { weft, routes: gameRoutes, rateLimits: rateLimits ?? { auth: 10_000, command: 100_000 } },
  });
  const routes: Array<GameApp['routes'][number]> = [];
  app.addHook('onRoute', (route) => {
    const { body, params, querystring } = route.schema ?? {};
    const schema = { body, params, querystring };
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD')
        routes.push({
          method,
          url: route.url,
          access: route.config?.access,
          idempotent: route.config?.idempotent === true,
          schema,
        });
    }
  });
  await app.ready();
  const signIn = async (username: string, password: string): Promise<Player> => {
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } });
    if (login.statusCode !== 200) throw new Error(`login ${username}: ${login.statusCode} ${login.body}`);
    const tokens = login.json<{ accessToken: string; refreshToken: string }>();
    const me = await app.inject({
      method: 'GET',
      url: '/me',
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    return {
      userId: me.json<{ userId: string }>().userId,
      username,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      auth: { authorization: `Bearer ${tokens.accessToken}` },
    };
  };
  return {
    weft,
    app,
    monitoring,
    adminPassword: ADMIN_PASSWORD,
    routes,
    request: (request) => app.inject(request),
    async player(name) {
      const registered = await app.inject({
        method: 'POST',
        url: '/auth/register',
        payload: { username: name, password: PASSWORD },
      });
      if (registered.statusCode !== 201)
        throw new Error(`register ${name}: ${registered.statusCode} ${registered.body}`);
      return signIn(name, PASSWORD);
    },
    admin: () => signIn('admin', ADMIN_PASSWORD),
    async close() {
      await app.close();
      await weft.close();
    },
  };
}
