// The game's HTTP conventions: how a system declares its routes for the server to mount.
export { queryInt } from './query-int.js';
export { routesOf } from './route.js';
export type { Access, GameRoute, RateLimit, RouteCall, RouteDefinition, RouteMaker, RouteReply } from './route.js';
