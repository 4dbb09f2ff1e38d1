import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run build', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-dist-'));
    // The published binary is what is tested: compiled, with the content copied beside it.
    await run('npm', ['run', 'build'], { maxBuffer: 16 * 1024 * 1024 });
  }, 600_000);

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('ships the game content with dist: validate-content passes on it', async () => {
    const { stdout } = await run(process.execPath, ['dist/cli/main.js', 'validate-content', 'dist/game/content']);
    expect(stdout).toMatch(/^Content in dist\/game\/content is valid: \d+ items, /);
  });

  it('serves the game from dist, started from another folder, with the content it ships', async () => {
    const child = spawn(process.execPath, [join(process.cwd(), 'dist/cli/main.js'), 'serve'], {
      cwd: folder,
      env: {
        ...process.env,
        PORT: '0',
        WEFT_DATABASE_URL: `sqlite:${join(folder, 'weft.db')}`,
        WEFT_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const { msg } = JSON.parse(line) as { msg?: string };
        if (msg?.startsWith('Server listening at ') === true) resolve(msg.replace('Server listening at ', ''));
      });
      child.once('exit', (code) => reject(new Error(`exited with ${String(code)}: ${errors}`)));
    });
    try {
      const response = await fetch(`${url}/content/items`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as unknown[]).length).toBeGreaterThan(0);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
