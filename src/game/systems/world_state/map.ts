import type { Link, RegionView } from './schemas.js';

/**
 * The links between regions, each pair once (`from` before `to` in id order), in a stable order:
 * content lists a neighbour on both sides (the data system checks it), so either side names the link.
 * @example linksOf(regions) // [{ from: 'greenvale', to: 'ironhill' }, ...]
 */
export function linksOf(regions: readonly Pick<RegionView, 'id' | 'neighbors'>[]): Link[] {
  const seen = new Set<string>();
  const links: Link[] = [];
  for (const region of regions) {
    for (const neighbor of region.neighbors) {
      const [from, to] = region.id < neighbor ? [region.id, neighbor] : [neighbor, region.id];
      const key = `${from}\u0000${to}`;
      if (seen.has(key)) continue;
      seen.add(key);
      links.push({ from, to });
    }
  }
  return links.sort((a, b) => (a.from === b.from ? compare(a.to, b.to) : compare(a.from, b.from)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `a` and `b` are linked, in either direction. */
export function linked(links: readonly Link[], a: string, b: string): boolean {
  return links.some((link) => (link.from === a && link.to === b) || (link.from === b && link.to === a));
}
