// The game's routes as its HTTP tests know them: who may call each, and a body each accepts.

/** Who may call a route: the tests' own list, written by hand, so a new route cannot ship without deciding it. */
export type RouteAccess = 'public' | 'player' | 'admin' | 'open';

/**
 * Routes that answer a stream that stays open (Server-Sent Events): `app.inject` would wait for ever, so the
 * admin's way in is checked over a socket (test/server/console-routes.contract.ts).
 */
export const STREAMS: ReadonlySet<string> = new Set(['GET /admin/events/stream']);

/** `METHOD /url` of a route, as the matrix names it. */
export const routeKey = (route: { readonly method: string; readonly url: string }): string =>
  `${route.method} ${route.url}`;

/**
 * Who may call each route. A route the app registers and this list does not name fails the
 * authorization test.
 */
export const MATRIX: Readonly<Record<string, RouteAccess>> = {
  'GET /health': 'open',
  'GET /health/live': 'open',
  'GET /health/ready': 'open',
  'GET /metrics': 'open',
  'GET /alerts': 'admin',
  'GET /status': 'admin',
  'GET /logs/recent': 'admin',
  'PUT /logs/levels/:system': 'admin',
  'GET /admin/trace/:correlationId': 'admin',
  'GET /admin/events/stream': 'admin',
  'GET /admin/dead-letters': 'admin',
  'GET /admin/dead-letters/:id': 'admin',
  'POST /admin/dead-letters/:id/redrive': 'admin',
  'DELETE /admin/dead-letters/:id': 'admin',
  'GET /admin/systems': 'admin',
  'GET /admin/metrics/recent': 'admin',
  'GET /admin/state/entries/:slice/:key': 'admin',
  'POST /admin/state/entries/:slice/:key/rollback': 'admin',
  'GET /admin/state/transactions/:transactionId': 'admin',
  'POST /admin/state/transactions/:transactionId/rollback': 'admin',
  'POST /admin/subscriptions/:name/replay': 'admin',
  'GET /console': 'open',
  'GET /console/*': 'open',
  'GET /openapi.json': 'open',
  'POST /auth/register': 'public',
  'POST /auth/login': 'public',
  'POST /auth/refresh': 'public',
  'POST /auth/logout': 'player',
  'GET /me': 'player',
  'POST /characters': 'player',
  'GET /characters': 'player',
  'GET /characters/:id': 'player',
  'POST /characters/:id/use': 'player',
  'GET /characters/:id/wallet': 'player',
  'GET /characters/:id/ledger': 'player',
  'POST /characters/:id/transfer': 'player',
  'POST /characters/:id/market/buy': 'player',
  'POST /characters/:id/market/sell': 'player',
  'GET /admin/economy': 'admin',
  'GET /admin/economy/audit': 'admin',
  'GET /admin/economy/history': 'admin',
  'POST /characters/:id/craft': 'player',
  'POST /characters/:id/encounters': 'player',
  'GET /encounters/:id': 'player',
  'GET /encounters/:id/replay': 'player',
  'GET /world': 'public',
  'POST /characters/:id/travel': 'player',
  'POST /admin/world/tick': 'admin',
  'GET /factions': 'public',
  'GET /characters/:id/reputation': 'player',
  'GET /characters/:id/quests': 'player',
  'POST /characters/:id/quests/:questId/accept': 'player',
  'POST /characters/:id/quests/:questId/claim': 'player',
  'GET /characters/:id/dialogue/:npcId': 'player',
  'POST /characters/:id/dialogue/:npcId': 'player',
  'GET /admin/analytics/summary': 'admin',
  ...Object.fromEntries(
    ['items', 'recipes', 'monsters', 'quests', 'factions', 'npcs', 'regions', 'classes', 'market'].flatMap((c) => [
      [`GET /content/${c}`, 'public'],
      [`GET /content/${c}/:id`, 'public'],
    ]),
  ),
};

/** A body each route accepts, so that an ownership check is reached rather than a 422. */
export const BODIES: Readonly<Record<string, unknown>> = {
  'POST /characters': { name: 'Probe', class: 'warrior' },
  'POST /characters/:id/transfer': { toCharacterId: 'someone', gold: 1 },
  'POST /characters/:id/market/buy': { itemId: 'wood', quantity: 1 },
  'POST /characters/:id/market/sell': { itemId: 'wood', quantity: 1 },
  'POST /characters/:id/craft': { recipeId: 'saw_planks' },
  'POST /characters/:id/use': { itemId: 'bread' },
  'POST /characters/:id/encounters': { monsterId: 'slime' },
  'POST /characters/:id/travel': { regionId: 'oakwood' },
  'PUT /logs/levels/:system': { level: 'silent' },
  'POST /admin/state/entries/:slice/:key/rollback': { toVersion: 1 },
  'POST /admin/state/transactions/:transactionId/rollback': { force: false },
  'POST /characters/:id/dialogue/:npcId': { optionId: 'greeting.0' },
  'POST /auth/register': { username: 'someone', password: 'a good long password' },
  'POST /auth/login': { username: 'someone', password: 'a good long password' },
  'POST /auth/refresh': { refreshToken: 'nothing' },
};

/**
 * A concrete URL for a route pattern: `:id` is `character` (or `contentId` under /content), and the
 * other parameters name things the shipped content has.
 */
export function urlOf(url: string, character: string, contentId = 'x', correlationId = 'no-such-request'): string {
  return (
    url
      .replace(':id', url.startsWith('/content/') ? contentId : character)
      .replace(':system', 'http')
      .replace(':questId', 'slime_cleanup')
      .replace(':npcId', 'captain_ada')
      .replace(':correlationId', correlationId)
      // The character's own entry, which has a version 1 to go back to; no transaction has that id.
      .replace(':slice/:key', `character.characters/${character}`)
      .replace(':transactionId', 'no-such-transaction')
      // Replayed for real by the admin's call: analytics' counts are a projection of the log.
      .replace(':name', 'analytics.tally')
  );
}
