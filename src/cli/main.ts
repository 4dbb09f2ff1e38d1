#!/usr/bin/env node
import { ContentError, MonitoringManager, createIntegration, isWeftError } from '../integration/internal.js';
import { checkContentFolder, gameSystems } from '../game/index.js';
import { closeOnSignals, readServeConfig, startServer } from '../server/index.js';
import { CommandLineError, commandName, parseCommandLine, usage, type CommandLine } from './command-line.js';
import { demo } from './demo.js';
import { replay } from './replay.js';

/** Runs one CLI command; resolves to the process exit code (2 for a command line it cannot run). */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  let line: CommandLine;
  try {
    line = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    process.stderr.write(`${error.message}\n\n${usage(error.commands)}`);
    return 2;
  }
  if (line.kind === 'help') {
    process.stdout.write(usage(line.commands));
    return 0;
  }
  const { options, positionals } = line;
  const name = commandName(line.command);
  // parseCommandLine checked that validate-content has its DIR.
  if (name === 'validate-content') return validateContent(positionals[0]!);
  if (name === 'demo') return demo(options.url === undefined ? {} : { url: options.url }, env);
  const config = readServeConfig(env);
  // parseCommandLine checked that replay has its SUBSCRIPTION.
  if (name === 'replay') return replay(positionals[0]!, config);
  if (name === 'serve') {
    const monitoring = new MonitoringManager({ logger: { level: config.logLevel } });
    const starting = startServer(config, monitoring);
    // Handled from now on: a signal in the instant after listen would otherwise kill the process the default way.
    closeOnSignals(starting, monitoring);
    const server = await starting;
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
  if (name === 'migrate up' || name === 'migrate down' || name === 'migrate status') {
    await using weft = await createIntegration({
      database: config.databaseUrl,
      migrate: false,
      monitoring: { logger: { level: 'warn' }, processMetrics: false },
    });
    // The game systems' migrations are known once they are set up (not applied, nothing started). The data system is
    // left out: its setup loads and checks the content (WEFT_CONTENT_DIR) and it declares no migrations, so the schema
    // does not depend on the content and migrate runs whatever the content folder holds.
    await weft.prepare(...gameSystems().filter((system) => system.name !== 'data'));
    const migrator = weft.migrator();
    if (name === 'migrate status') {
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
    const up = name === 'migrate up';
    // parseCommandLine checked --steps: an integer >= 1.
    const done = up ? await migrator.up() : await migrator.down({ steps: Number(options.steps ?? '1') });
    process.stdout.write(done.length === 0 ? `Nothing to ${up ? 'apply' : 'revert'}.\n` : '');
    for (const step of done) process.stdout.write(`${up ? 'applied' : 'reverted'} ${step.part}/${step.name}\n`);
    return 0;
  }
  throw new Error(`The command ${JSON.stringify(name)} is in COMMANDS but main has no branch for it.`);
}

/** `weft validate-content DIR`: the same checks the data system runs at start, for modders. */
async function validateContent(folder: string): Promise<number> {
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
