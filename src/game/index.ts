// The reference game backend, built only on Weft's public API: its systems, their routes, its content.
import type { SystemDefinition } from '../integration/index.js';
import type { GameRoute } from './http/index.js';
import { authUserSystem } from './systems/auth_user/index.js';
import { analyticsSystem } from './systems/analytics/index.js';
import { analyticsRoutes } from './systems/analytics/routes.js';
import { authRoutes } from './systems/auth_user/routes.js';
import { characterSystem } from './systems/character/index.js';
import { characterRoutes } from './systems/character/routes.js';
import { craftingSystem } from './systems/crafting/index.js';
import { combatSystem } from './systems/combat/index.js';
import { combatRoutes } from './systems/combat/routes.js';
import { craftingRoutes } from './systems/crafting/routes.js';
import { checkContentFolder, SHIPPED_CONTENT } from './systems/data/content.js';
import { dataSystem } from './systems/data/index.js';
import { economySystem } from './systems/economy/index.js';
import { economyRoutes } from './systems/economy/routes.js';
import { questSystem } from './systems/quest/index.js';
import { questRoutes } from './systems/quest/routes.js';
import { worldStateSystem } from './systems/world_state/index.js';
import { worldStateRoutes } from './systems/world_state/routes.js';
import { dataRoutes } from './systems/data/routes.js';
import { dialogueSystem } from './systems/dialogue/index.js';
import { dialogueRoutes } from './systems/dialogue/routes.js';
import { diplomacySystem } from './systems/diplomacy/index.js';
import { diplomacyRoutes } from './systems/diplomacy/routes.js';

export { queryInt, routesOf } from './http/index.js';
export type { Access, GameRoute, RateLimit, RouteCall, RouteReply } from './http/index.js';
export { checkContentFolder, SHIPPED_CONTENT };

/** What the game is set up with. */
export interface GameOptions {
  /** The content folder; default the content that ships with the game. */
  readonly contentFolder?: string;
  /** The clock sign-in, tokens, fights and the world read (tests move it). */
  readonly now?: () => number;
  /** Where fights get their seeds (tests fix it). Default: random. */
  readonly seed?: () => number;
}

/** The game's systems, in install order. */
export function gameSystems(options: GameOptions = {}): SystemDefinition[] {
  return [
    dataSystem(options.contentFolder === undefined ? {} : { folder: options.contentFolder }),
    authUserSystem(options.now === undefined ? {} : { now: options.now }),
    characterSystem(),
    economySystem(),
    craftingSystem(),
    combatSystem({
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    }),
    worldStateSystem(options.now === undefined ? {} : { now: options.now }),
    diplomacySystem(),
    questSystem(),
    dialogueSystem(),
    analyticsSystem(),
  ];
}

/** Every route of every system, for the server to mount. */
export const gameRoutes: readonly GameRoute[] = [
  ...dataRoutes,
  ...authRoutes,
  ...characterRoutes,
  ...economyRoutes,
  ...craftingRoutes,
  ...combatRoutes,
  ...worldStateRoutes,
  ...diplomacyRoutes,
  ...questRoutes,
  ...dialogueRoutes,
  ...analyticsRoutes,
];
