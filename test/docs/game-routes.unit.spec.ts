import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { gameRoutes } from '../../src/game/index.js';
import { registerConsoleRoutes } from '../../src/server/console-routes.js';
import { registerStateRoutes } from '../../src/server/state-routes.js';

/** Every `METHOD path` docs/game.md names in a route table: `| GET | \`/a\`, \`/b\` | ...`. */
function documentedRoutes(markdown: string): Set<string> {
  const named = new Set<string>();
  for (const line of markdown.split('\n')) {
    const row = /^\| (GET|POST|PUT|PATCH|DELETE) \| ([^|]+) \|/.exec(line);
    if (row === null) continue;
    for (const [, path] of row[2]!.matchAll(/`([^`]+)`/g)) named.add(`${row[1]} ${path}`);
  }
  return named;
}

/**
 * The operator console's and the state's routes as the server registers them (nothing they read is called while
 * registering).
 */
function consoleRoutes(): Array<{ method: string; url: string; access: string }> {
  const app = Fastify();
  const routes: Array<{ method: string; url: string; access: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routes.push({ method, url: route.url, access: 'admin' });
  });
  const unused = () => {
    throw new Error('not read while registering');
  };
  const requireOperator = () => Promise.resolve();
  const access = {
    requireOperator,
    guard: { onRequest: requireOperator, config: { access: 'admin', operator: true } },
  } as const;
  registerStateRoutes(app, access, {} as never);
  registerConsoleRoutes(app, access, {
    monitoring: { metrics: { registry: {} }, logging: { forSystem: () => ({ warn: unused }) } } as never,
    state: { getSyncStatus: unused },
    events: { log: {}, wiring: unused, backlog: unused, deadLetters: {} } as never,
  });
  return routes;
}

describe('docs/game.md', () => {
  const markdown = readFileSync('docs/game.md', 'utf8');
  const documented = documentedRoutes(markdown);
  const all = [...gameRoutes.map(({ method, url, access }) => ({ method, url, access })), ...consoleRoutes()];
  const registered = all.map((route) => `${route.method} ${route.url}`);

  it('names every route the game and the console register in a route table', () => {
    expect(consoleRoutes().length).toBeGreaterThan(0);
    expect(registered.filter((route) => !documented.has(route))).toEqual([]);
  });

  it('names no route the game or the console does not register', () => {
    expect([...documented].filter((route) => !registered.includes(route))).toEqual([]);
  });

  it('says each route’s access as the route declares it', () => {
    for (const route of all) {
      const row = markdown
        .split('\n')
        .find((line) => line.startsWith(`| ${route.method} |`) && line.includes(`\`${route.url}\``));
      expect(row?.split('|')[3]?.trim().split(/[ ,]/)[0], `${route.method} ${route.url}`).toBe(route.access);
    }
  });
});
