import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gameRoutes } from '../../src/game/index.js';

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

describe('docs/game.md', () => {
  const documented = documentedRoutes(readFileSync('docs/game.md', 'utf8'));
  const registered = gameRoutes.map((route) => `${route.method} ${route.url}`);

  it('names every route the game registers in a route table', () => {
    expect(registered.filter((route) => !documented.has(route))).toEqual([]);
  });

  it('names no route the game does not register', () => {
    expect([...documented].filter((route) => !registered.includes(route))).toEqual([]);
  });

  it('says each route’s access as the route declares it', () => {
    const markdown = readFileSync('docs/game.md', 'utf8');
    for (const route of gameRoutes) {
      const row = markdown
        .split('\n')
        .find((line) => line.startsWith(`| ${route.method} |`) && line.includes(`\`${route.url}\``));
      expect(row?.split('|')[3]?.trim().split(/[ ,]/)[0], `${route.method} ${route.url}`).toBe(route.access);
    }
  });
});
