import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { buildApp } from '../../src/server/index.js';

const monitoring = () => new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });

describe('the console page at /console/', () => {
  const folder = mkdtempSync(join(tmpdir(), 'weft-console-static-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('serves the built files, publicly, under the security headers; /console redirects to /console/', async () => {
    const root = join(folder, 'built');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(
      join(root, 'index.html'),
      '<!doctype html><script type="module" src="/console/assets/a.js"></script>',
    );
    writeFileSync(join(root, 'assets', 'a.js'), 'export const a = 1;');
    const app = buildApp({ monitoring: monitoring(), console: { staticRoot: root } });
    try {
      const page = await app.inject({ method: 'GET', url: '/console/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('/console/assets/a.js');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      const script = await app.inject({ method: 'GET', url: '/console/assets/a.js' });
      expect(script.statusCode).toBe(200);
      expect(script.headers['content-type']).toMatch(/javascript/);
      const bare = await app.inject({ method: 'GET', url: '/console' });
      expect(bare.statusCode).toBe(308);
      expect(bare.headers.location).toBe('/console/');
      const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: object }>();
      expect(Object.keys(document.paths).filter((path) => path.startsWith('/console'))).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('answers a 404 problem saying how to build the console when it is not built', async () => {
    const app = buildApp({ monitoring: monitoring(), console: { staticRoot: join(folder, 'missing') } });
    try {
      const answer = await app.inject({ method: 'GET', url: '/console/' });
      expect(answer.statusCode).toBe(404);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.json<{ detail: string }>().detail).toContain('npm run build:console');
    } finally {
      await app.close();
    }
  });

  it('is left out with console: false', async () => {
    const app = buildApp({ monitoring: monitoring(), console: false });
    try {
      expect((await app.inject({ method: 'GET', url: '/console/' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/console' })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});
