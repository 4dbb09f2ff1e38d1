import { describe, expect, it } from 'vitest';
import {
  COMMANDS,
  CommandLineError,
  commandName,
  parseCommandLine,
  usage,
  type CommandLine,
} from '../../src/cli/command-line.js';

/** The CommandLineError `argv` gets: its one line, and the commands whose usage it shows. */
function refusal(argv: readonly string[]): { message: string; usageOf: string[] } {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    return { message: error.message, usageOf: error.commands.map(commandName) };
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

function run(line: CommandLine): {
  name: string;
  options: Readonly<Record<string, string>>;
  positionals: readonly string[];
} {
  if (line.kind !== 'run') throw new Error('a help was asked for');
  return { name: commandName(line.command), options: line.options, positionals: line.positionals };
}

describe('parseCommandLine', () => {
  it('reads each command with the options and arguments it takes', () => {
    expect(run(parseCommandLine(['serve']))).toEqual({ name: 'serve', options: {}, positionals: [] });
    expect(run(parseCommandLine(['migrate', 'down', '--steps', '2']))).toEqual({
      name: 'migrate down',
      options: { steps: '2' },
      positionals: [],
    });
    expect(run(parseCommandLine(['migrate', 'down', '--steps=3'])).options).toEqual({ steps: '3' });
    expect(run(parseCommandLine(['demo', '--url', 'http://127.0.0.1:8080'])).options).toEqual({
      url: 'http://127.0.0.1:8080',
    });
    expect(run(parseCommandLine(['validate-content', './content'])).positionals).toEqual(['./content']);
    expect(run(parseCommandLine(['validate-content', '--', '-odd-folder'])).positionals).toEqual(['-odd-folder']);
  });

  it('refuses each bad usage QA found with one line naming it, and the usage of that command', () => {
    const cases: Array<[string[], string, string[]]> = [
      [['migrate', 'down', '--steps'], 'weft migrate down: --steps needs a value (--steps N).', ['migrate down']],
      [
        ['migrate', 'down', '--steps', '--bogus'],
        'weft migrate down: --steps needs a value (--steps N).',
        ['migrate down'],
      ],
      [['migrate', 'up', '--bogus'], 'weft migrate up: unknown option --bogus.', ['migrate up']],
      [['serve', '--port', '5'], 'weft serve: unknown option --port.', ['serve']],
      [['demo', '--bogus'], 'weft demo: unknown option --bogus.', ['demo']],
      [['demo', '--url'], 'weft demo: --url needs a value (--url URL).', ['demo']],
      [['demo', 'extra'], 'weft demo: unexpected argument "extra".', ['demo']],
      [['migrate', 'up', 'extra'], 'weft migrate up: unexpected argument "extra".', ['migrate up']],
      [
        ['migrate', 'status', '--steps', '2'],
        'weft migrate status: --steps is an option of migrate down, not of migrate status.',
        ['migrate status'],
      ],
      [
        ['migrate', 'down', '--steps', '0'],
        'weft migrate down: --steps must be an integer >= 1; received "0".',
        ['migrate down'],
      ],
      [
        ['migrate', 'down', '--steps', '1', '--steps', '2'],
        'weft migrate down: --steps is given twice.',
        ['migrate down'],
      ],
      [['demo', '--url', 'ftp://x'], 'weft demo: --url must be an http(s) URL; received "ftp://x".', ['demo']],
      [
        ['validate-content'],
        'weft validate-content: DIR is missing (weft validate-content DIR).',
        ['validate-content'],
      ],
      [['validate-content', 'a', 'b'], 'weft validate-content: unexpected argument "b".', ['validate-content']],
      [['serve', '-x'], 'weft serve: unknown option -x.', ['serve']],
      [['serve', '--help=yes'], 'weft serve: --help takes no value.', ['serve']],
    ];
    for (const [argv, message, usageOf] of cases) expect(refusal(argv), argv.join(' ')).toEqual({ message, usageOf });
  });

  it('refuses an unknown command, or none, with the usage of every command (or of the family named)', () => {
    const all = COMMANDS.map(commandName);
    const migrate = ['migrate up', 'migrate down', 'migrate status'];
    expect(refusal([])).toEqual({ message: 'weft: name a command.', usageOf: all });
    expect(refusal(['frob'])).toEqual({ message: 'weft: unknown command "frob".', usageOf: all });
    // An option first is not a command: the command comes first.
    expect(refusal(['--steps', '2', 'migrate', 'down'])).toEqual({
      message: 'weft: the command comes first, then its options; received "--steps" first.',
      usageOf: all,
    });
    expect(refusal(['migrate'])).toEqual({ message: 'weft migrate: name one of up, down, status.', usageOf: migrate });
    expect(refusal(['migrate', 'sideways'])).toEqual({
      message: 'weft migrate: unknown command "sideways"; name one of up, down, status.',
      usageOf: migrate,
    });
  });

  it('answers --help with the usage asked for, running nothing', () => {
    const help = (argv: string[]): string[] => {
      const line = parseCommandLine(argv);
      if (line.kind !== 'help') throw new Error(`${argv.join(' ')} is not a help`);
      return line.commands.map(commandName);
    };
    expect(help(['--help'])).toEqual(COMMANDS.map(commandName));
    expect(help(['help'])).toEqual(COMMANDS.map(commandName));
    expect(help(['migrate', '-h'])).toEqual(['migrate up', 'migrate down', 'migrate status']);
    // Help wins over what else is on the line: the user asked how to use the command.
    expect(help(['demo', 'extra', '--help'])).toEqual(['demo']);
  });

  it('writes one usage from the one list of commands', () => {
    expect(usage(COMMANDS.filter((command) => commandName(command) === 'migrate down'))).toBe(
      'Usage: weft migrate down [--steps N]\n  revert the N most recent migrations (default 1)\n',
    );
    const all = usage();
    expect(all).toMatch(/^Usage: weft <command>\n\nCommands:\n/);
    expect(all).toContain('  migrate down [--steps N]  revert the N most recent migrations (default 1)\n');
    expect(all).toContain('  demo [--url URL]          play a scripted session');
    expect(all).toContain('                            WEFT_ADMIN_PASSWORD); exit 0 when');
  });
});
