import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './cli-process.js';

/** Runs `weft validate-content folder`: its exit code and what it wrote. */
const validateContent = (folder: string): Promise<CliRun> => runCli(['validate-content', folder]);

describe('weft validate-content, as a real process', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-validate-'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('exits 0 with a summary for the shipped content', async () => {
    const { code, stdout } = await validateContent('src/game/content');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Content in src\/game\/content is valid: \d+ items, \d+ recipes, /);
  });

  it('exits 1 naming only the broken record, not the records that name it', async () => {
    const content = join(folder, 'wolf');
    await cp('src/game/content', content, { recursive: true });
    const monsters = JSON.parse(await readFile(join(content, 'monsters.json'), 'utf8')) as Array<{
      id: string;
      loot: Array<{ chance: number }>;
    }>;
    expect(monsters[1]?.id).toBe('wolf');
    monsters[1]!.loot[0]!.chance = 1.5;
    await writeFile(join(content, 'monsters.json'), JSON.stringify(monsters));
    const { code, stdout } = await validateContent(content);
    expect(code).toBe(1);
    expect(stdout).toBe(
      `Content in ${content} has 1 problem(s):\n` +
        '  monsters.json $[1].loot[0].chance: Too big: expected number to be <=1 (too_big)\n',
    );
  });

  it('exits 1 with one missing_file line per collection for a folder that does not exist', async () => {
    const missing = join(folder, 'nowhere');
    const { code, stdout } = await validateContent(missing);
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Content in ${missing} has 9 problem(s):`);
    expect(lines.slice(1)).toHaveLength(9);
    for (const line of lines.slice(1))
      expect(line).toMatch(/^ {2}\w+\.json \$: cannot read \w+\.json: ENOENT \(missing_file\)$/);
  });
});
