import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

describe('weft with a command line it cannot run, as a real process', () => {
  let folder: string;
  let file: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-usage-'));
    file = join(folder, 'weft.db');
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('exits 2 with one line naming the problem and the usage of the command, no stack, nothing run', async () => {
    const cases: Array<[string[], string, string]> = [
      [
        ['migrate', 'down', '--steps'],
        'weft migrate down: --steps needs a value (--steps N).',
        'migrate down [--steps N]',
      ],
      [['migrate', 'up', '--bogus'], 'weft migrate up: unknown option --bogus.', 'migrate up'],
      [['serve', '--port', '5'], 'weft serve: unknown option --port.', 'serve'],
      [['demo', '--bogus'], 'weft demo: unknown option --bogus.', 'demo [--url URL]'],
      [['demo', '--url'], 'weft demo: --url needs a value (--url URL).', 'demo [--url URL]'],
      [['demo', 'extra'], 'weft demo: unexpected argument "extra".', 'demo [--url URL]'],
      // A stray argument is refused before anything is applied.
      [['migrate', 'up', 'extra'], 'weft migrate up: unexpected argument "extra".', 'migrate up'],
      [
        ['migrate', 'status', '--steps', '2'],
        'weft migrate status: --steps is an option of migrate down, not of migrate status.',
        'migrate status',
      ],
      [
        ['migrate', 'down', '--steps', 'two'],
        'weft migrate down: --steps must be an integer >= 1; received "two".',
        'migrate down [--steps N]',
      ],
      [
        ['validate-content'],
        'weft validate-content: DIR is missing (weft validate-content DIR).',
        'validate-content DIR',
      ],
    ];
    // A few at a time: each is a Node process loading the CLI.
    for (let start = 0; start < cases.length; start += 4) {
      await Promise.all(
        cases.slice(start, start + 4).map(async ([argv, message, synopsis]) => {
          const run = await runCli(argv, { WEFT_DATABASE_URL: `sqlite:${file}` });
          const lines = run.stderr.split('\n');
          expect(run.code, `${argv.join(' ')}: ${run.stderr}`).toBe(2);
          expect(lines[0], argv.join(' ')).toBe(message);
          expect(lines.slice(1, 3)).toEqual(['', `Usage: weft ${synopsis}`]);
          expect(run.stderr).not.toContain('    at ');
          expect(run.stdout).toBe('');
        }),
      );
    }
    // No command opened the database.
    expect(existsSync(file)).toBe(false);
  }, 60_000);

  it('exits 2 for an unknown command with the usage of every command, and 0 for --help', async () => {
    const [unknown, help, commandHelp] = await Promise.all([
      runCli(['frob']),
      runCli(['--help']),
      runCli(['migrate', 'down', '--help']),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^weft: unknown command "frob"\.\n\nUsage: weft <command>\n\nCommands:\n {2}serve /);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: weft <command>\n/);
    expect(help.stdout).toContain('  migrate down [--steps N]  revert the N most recent migrations (default 1)\n');
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toBe(
      'Usage: weft migrate down [--steps N]\n  revert the N most recent migrations (default 1)\n',
    );
  }, 60_000);

  it('keeps exit 1, without a stack, for a real failure', async () => {
    const run = await runCli(['migrate', 'status'], { WEFT_DATABASE_URL: 'mysql://nowhere/db' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^weft: .*\(WEFT_INVALID_CONFIG\)\n$/);
  }, 60_000);
});
