#!/usr/bin/env node
import { parseArgs } from 'node:util';
import {
  ConfigError,
  ContentError,
  MonitoringManager,
  createIntegration,
  isWeftError,
} from '../integration/internal.js';
import { checkContentFolder, gameSystems } from '../game/index.js';
import { closeOnSignals, readServeConfig, startServer } from '../server/index.js';
import { demo } from './demo.js';

const USAGE = `Usage: weft <command>

Commands:
  serve                    start the game server (PORT, HOST and the WEFT_ settings of the README)
  migrate up               apply every pending migration (Weft's and the game systems')
  migrate down [--steps N] revert the N most recent migrations (default 1)
  migrate status           list migrations and whether each is applied
  validate-content DIR     check a folder of game content: exit 0 with a summary, or 1 with every problem
  demo [--url URL]         play a scripted session over HTTP (a server of its own, or the one at URL: then set
                           WEFT_ADMIN_PASSWORD); exit 0 when every step did what it should

The database is WEFT_DATABASE_URL (default sqlite:./data/weft.db).
`;

/** Runs one CLI command; resolves to the process exit code. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  if (argv[0] === 'demo') return demo(argv.slice(1), env);
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { steps: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, sub] = positionals;
  if (values.help === true || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  if (command === 'validate-content') return validateContent(sub);
  const config = readServeConfig(env);
  if (command === 'serve') {
    const monitoring = new MonitoringManager({ logger: { level: config.logLevel } });
    const server = await startServer(config, monitoring);
    closeOnSignals(server, monitoring);
    // stdout carries one JSON log record per line (log shippers and the tests parse it), so the
    // banner and the first admin's password are log records too.
    const logger = monitoring.logging.root;
    logger.info(
      {
        url: server.url,
        docs: `${server.url}/docs`,
        openapi: `${server.url}/openapi.json`,
        health: `${server.url}/health`,
      },
      `Weft game server on ${server.url}: API docs at ${server.url}/docs`,
    );
    if (server.generatedAdminPassword !== undefined) {
      logger.warn(
        { username: 'admin', password: server.generatedAdminPassword },
        'first start: made the admin account "admin" with this password, shown once; set WEFT_ADMIN_PASSWORD to choose it',
      );
    }
    return -1;
  }
  if (command === 'migrate' && (sub === 'up' || sub === 'down' || sub === 'status')) {
    await using weft = await createIntegration({
      database: config.databaseUrl,
      migrate: false,
      monitoring: { logger: { level: 'warn' }, processMetrics: false },
    });
    // The game systems' migrations are known once they are set up (not applied, nothing started).
    await weft.prepare(...gameSystems(config.contentDir === undefined ? {} : { contentFolder: config.contentDir }));
    const migrator = weft.migrator();
    if (sub === 'status') {
      const rows = await migrator.status();
      process.stdout.write(rows.length === 0 ? 'No migrations are registered.\n' : '');
      for (const row of rows) {
        const state = row.applied ? `applied ${row.appliedAt ?? ''}` : 'pending';
        process.stdout.write(
          `${row.part}/${row.name}  ${state}${row.registered ? '' : '  (not registered by any part)'}\n`,
        );
      }
      return 0;
    }
    const steps = sub === 'up' ? [] : await migrator.down({ steps: parseSteps(values.steps) });
    const applied = sub === 'up' ? await migrator.up() : steps;
    const verb = sub === 'up' ? 'applied' : 'reverted';
    process.stdout.write(applied.length === 0 ? `Nothing to ${sub === 'up' ? 'apply' : 'revert'}.\n` : '');
    for (const step of applied) process.stdout.write(`${verb} ${step.part}/${step.name}\n`);
    return 0;
  }
  process.stderr.write(`Unknown command "${positionals.join(' ')}".\n\n${USAGE}`);
  return 2;
}

/** `weft validate-content DIR`: the same checks the data system runs at start, for modders. */
async function validateContent(folder: string | undefined): Promise<number> {
  if (folder === undefined)
    throw new ConfigError('validate-content needs a folder: weft validate-content ./my-content');
  try {
    const content = await checkContentFolder(folder);
    const counts = Object.entries(content).map(
      ([collection, records]: [string, readonly unknown[]]) => `${records.length} ${collection}`,
    );
    process.stdout.write(`Content in ${folder} is valid: ${counts.join(', ')}.\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ContentError)) throw error;
    process.stdout.write(`Content in ${folder} has ${error.problems.length} problem(s):\n`);
    for (const problem of error.problems) {
      process.stdout.write(`  ${problem.file} ${problem.pathText}: ${problem.message} (${problem.code})\n`);
    }
    return 1;
  }
}

function parseSteps(value: string | undefined): number {
  if (value === undefined) return 1;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new ConfigError(`--steps must be an integer >= 1; received ${JSON.stringify(value)}.`);
  return Number(value);
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    // serve keeps running until a signal; every other command ends here.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `weft: ${isWeftError(error) ? `${error.message} (${error.code})` : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
