import { parseArgs } from 'node:util';

/** An option that takes a value (`--steps N`), and what makes a value right. */
interface OptionSpec {
  /** The value's name in the usage: `N`, `URL`. */
  readonly value: string;
  /** The problem with `value`, one sentence, or undefined when it is right. */
  readonly check: (value: string) => string | undefined;
}

/** One command of the CLI: the words that name it, what follows them, and one line (or a few) on what it does. */
export interface CommandSpec {
  readonly words: readonly string[];
  /** The options it takes, by name without the dashes. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** The positional arguments it takes, by their name in the usage; each is required. */
  readonly positionals: readonly string[];
  readonly summary: readonly string[];
}

const steps: OptionSpec = {
  value: 'N',
  check: (value) => (/^\d+$/.test(value) && Number(value) >= 1 ? undefined : 'must be an integer >= 1'),
};
const url: OptionSpec = {
  value: 'URL',
  check: (value) => (/^https?:\/\/\S+$/.test(value) ? undefined : 'must be an http(s) URL'),
};

/** Every command, in the order the usage lists them: the one list the parser and the usage text read. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    words: ['serve'],
    options: {},
    positionals: [],
    summary: ['start the game server (PORT, HOST and the WEFT_ settings of the README)'],
  },
  {
    words: ['migrate', 'up'],
    options: {},
    positionals: [],
    summary: ["apply every pending migration (Weft's and the game systems')"],
  },
  {
    words: ['migrate', 'down'],
    options: { steps },
    positionals: [],
    summary: ['revert the N most recent migrations (default 1)'],
  },
  {
    words: ['migrate', 'status'],
    options: {},
    positionals: [],
    summary: ['list migrations and whether each is applied'],
  },
  {
    words: ['replay'],
    options: {},
    positionals: ['SUBSCRIPTION'],
    summary: [
      'replay a durable subscription from the start of the log (one with a reset: analytics.tally);',
      'the servers on WEFT_DATABASE_URL deliver every event to it again',
    ],
  },
  {
    words: ['validate-content'],
    options: {},
    positionals: ['DIR'],
    summary: ['check a folder of game content: exit 0 with a summary, or 1 with every problem'],
  },
  {
    words: ['demo'],
    options: { url },
    positionals: [],
    summary: [
      'play a scripted session over HTTP (a server of its own, or the one at URL: then set',
      'WEFT_ADMIN_PASSWORD); exit 0 when every step did what it should',
    ],
  },
];

/**
 * What a command line asks for: a command to run, with the options and arguments it takes, or the usage of some
 * commands (`weft --help`, `weft migrate --help`, `weft serve --help`), with nothing run.
 */
export type CommandLine =
  | {
      readonly kind: 'run';
      readonly command: CommandSpec;
      /** The options given, each checked, by name. */
      readonly options: Readonly<Record<string, string>>;
      readonly positionals: readonly string[];
    }
  | { readonly kind: 'help'; readonly commands: readonly CommandSpec[] };

const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h';

/**
 * A command line the CLI cannot run: one line naming what is wrong, and the commands whose usage helps (the one
 * meant, or every one when none could be told). Exit code 2, with no stack: it is the user's to fix, not a bug.
 */
export class CommandLineError extends Error {
  readonly commands: readonly CommandSpec[];

  constructor(message: string, commands: readonly CommandSpec[] = COMMANDS) {
    super(message);
    this.name = 'CommandLineError';
    this.commands = commands;
  }
}

/** The name of a command as typed: `migrate down`. */
export function commandName(command: CommandSpec): string {
  return command.words.join(' ');
}

function synopsis(command: CommandSpec): string {
  return [
    ...command.words,
    ...Object.entries(command.options).map(([name, option]) => `[--${name} ${option.value}]`),
    ...command.positionals,
  ].join(' ');
}

/**
 * The usage of `commands`: of one command, its synopsis and what it does; of several, an aligned list (headed
 * `weft <command>` and followed by the database setting when it is every command).
 */
export function usage(commands: readonly CommandSpec[] = COMMANDS): string {
  const [only] = commands;
  if (commands.length === 1 && only !== undefined)
    return `Usage: weft ${synopsis(only)}\n${only.summary.map((line) => `  ${line}\n`).join('')}`;
  const every = commands === COMMANDS;
  // A group's lines are whole command lines (`weft migrate up`); the full list sits under `Usage: weft <command>`.
  const named = (command: CommandSpec) => `${every ? '' : 'weft '}${synopsis(command)}`;
  const width = Math.max(...commands.map((command) => named(command).length)) + 2;
  const list = commands
    .flatMap((command) =>
      command.summary.map((line, index) => `  ${(index === 0 ? named(command) : '').padEnd(width)}${line}\n`),
    )
    .join('');
  return every
    ? `Usage: weft <command>\n\nCommands:\n${list}\nThe database is WEFT_DATABASE_URL (default sqlite:./data/weft.db).\n`
    : `Usage:\n${list}`;
}

/**
 * Reads `argv` (after `weft`): the command first, its options and arguments after it. Anything the command does not
 * take (an unknown option, an option of another command, a missing or wrong value, an argument too many or too few)
 * is a CommandLineError naming it.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const [first, second] = argv;
  if (first === undefined) throw new CommandLineError('weft: name a command.');
  if (isHelp(first) || first === 'help') return { kind: 'help', commands: COMMANDS };
  if (first.startsWith('-'))
    throw new CommandLineError(
      `weft: the command comes first, then its options; received ${JSON.stringify(first)} first.`,
    );
  const family = COMMANDS.filter((command) => command.words[0] === first);
  if (family.length === 0) throw new CommandLineError(`weft: unknown command ${JSON.stringify(first)}.`);
  const command = family.find((candidate) => candidate.words.every((word, index) => argv[index] === word));
  if (command === undefined && isHelp(second)) return { kind: 'help', commands: family };
  if (command === undefined) {
    const choices = family.map((candidate) => candidate.words.slice(1).join(' ')).join(', ');
    throw new CommandLineError(
      second === undefined || second.startsWith('-')
        ? `weft ${first}: name one of ${choices}.`
        : `weft ${first}: unknown command ${JSON.stringify(second)}; name one of ${choices}.`,
      family,
    );
  }
  return readOptions(command, argv.slice(command.words.length));
}

function readOptions(command: CommandSpec, args: readonly string[]): CommandLine {
  const name = commandName(command);
  const refuse = (problem: string): never => {
    throw new CommandLineError(`weft ${name}: ${problem}`, [command]);
  };
  // Not strict: Node's own errors are long and carry a stack; each problem is told here in one sentence instead.
  const { tokens } = parseArgs({
    args: [...args],
    options: {
      ...Object.fromEntries(Object.keys(command.options).map((option) => [option, { type: 'string' as const }])),
      help: { type: 'boolean', short: 'h' },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const options: Record<string, string> = {};
  const positionals: string[] = [];
  let help = false;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    const option = command.options[token.name];
    if (token.name === 'help') {
      if (token.value !== undefined) refuse(`${token.rawName} takes no value.`);
      help = true;
    } else if (option === undefined) {
      const takers = COMMANDS.filter((other) => Object.hasOwn(other.options, token.name)).map(commandName);
      refuse(
        takers.length === 0
          ? `unknown option ${token.rawName}.`
          : `${token.rawName} is an option of ${takers.join(', ')}, not of ${name}.`,
      );
    } else if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
      // `--steps --bogus` would take --bogus as the number of steps: a value that looks like an option is missing.
      refuse(`${token.rawName} needs a value (${token.rawName} ${option.value}).`);
    } else if (Object.hasOwn(options, token.name)) {
      refuse(`${token.rawName} is given twice.`);
    } else {
      const problem = option.check(token.value);
      if (problem !== undefined) refuse(`${token.rawName} ${problem}; received ${JSON.stringify(token.value)}.`);
      options[token.name] = token.value;
    }
  }
  if (help) return { kind: 'help', commands: [command] };
  const extra = positionals[command.positionals.length];
  if (extra !== undefined) refuse(`unexpected argument ${JSON.stringify(extra)}.`);
  const missing = command.positionals[positionals.length];
  if (missing !== undefined) refuse(`${missing} is missing (weft ${synopsis(command)}).`);
  return { kind: 'run', command, options, positionals };
}
