import { CommandBus, commandMigrations, type ExecuteOptions } from './commands/internal.js';
import { Migrator, createDatabase, type Database, type DatabaseOptions, type Migration } from './database/internal.js';
import { ConfigError, UnavailableError } from './errors/internal.js';
import { EventBus, eventMigrations, type Transport } from './events/internal.js';
import { MonitoringManager, currentContext, type MonitoringOptions } from './monitoring/internal.js';
import { StateStore, stateMigrations } from './state/internal.js';
import { Systems, type Execute, type SystemDefinition, type SystemHandle } from './system/internal.js';
import { ValidationManager, type IntegrationReport } from './validation/internal.js';

/**
 * The embedded default, the same as `weft serve`'s: a SQLite file under the working directory, never a database that
 * vanishes on exit.
 */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/weft.db';

/** Weft's own tables, part by part, in the order they are applied: the one list of them. */
export const PART_MIGRATIONS: ReadonlyArray<{ readonly part: string; readonly migrations: readonly Migration[] }> = [
  { part: 'events', migrations: eventMigrations },
  { part: 'state', migrations: stateMigrations },
  { part: 'commands', migrations: commandMigrations },
];

/** What `createIntegration` is built from; every one optional. */
export interface IntegrationOptions {
  /** A database URL (`sqlite:./data/game.db`, `postgres://...`) or full options. Default `sqlite:./data/weft.db`. */
  readonly database?: string | DatabaseOptions;
  /** A validation manager to share (its schemas and rules); default a new one. */
  readonly validation?: ValidationManager;
  /** A monitoring manager to share, or the options of a new one. */
  readonly monitoring?: MonitoringManager | MonitoringOptions;
  /** Apply Weft's own migrations (events, state, commands) on start. Default true. */
  readonly migrate?: boolean;
  /**
   * How often durable subscriptions look for events committed by other processes (the default transport). Default 1000
   * ms.
   */
  readonly pollIntervalMs?: number;
  /**
   * How long a process's claim on a durable subscription lasts unrenewed (the default transport): when a process
   * sharing the database dies, another takes its subscriptions over within about this long. Default 5000 ms.
   */
  readonly leaseMs?: number;
  /**
   * How durable events reach durable subscriptions: a transport, or a function making one over the integration's
   * database (`NatsTransport.connect`), whose failure stops the start. Default: a `MemoryTransport` over the database.
   */
  readonly transport?: Transport | TransportFactory;
}

/** Makes a transport over the integration's database and monitoring, once both exist. */
export type TransportFactory = (parts: { db: Database; monitoring: MonitoringManager }) => Promise<Transport>;

/** The parts, wired to one database and one monitoring manager, and the game systems installed on them. */
export interface Integration extends AsyncDisposable {
  readonly db: Database;
  readonly validation: ValidationManager;
  readonly monitoring: MonitoringManager;
  readonly events: EventBus;
  readonly state: StateStore;
  readonly commands: CommandBus;
  /** `state.transaction`: state writes across systems and durable events, committed together. */
  readonly transaction: StateStore['transaction'];
  /**
   * The one handle of game system `name` (made on first call): its events, state, commands, tables, logger, metrics.
   */
  system<const S extends string>(name: S): SystemHandle<S>;
  /** Installs systems: each `setup` runs on its handle, then their migrations apply, then their subscriptions start. */
  install(...systems: readonly SystemDefinition[]): Promise<void>;
  /**
   * Sets systems up without applying their migrations or starting their subscriptions, so that
   * `migrator()` knows their migrations: for tools that only migrate (`weft migrate`).
   */
  prepare(...systems: readonly SystemDefinition[]): Promise<void>;
  /**
   * Runs a command from anywhere (HTTP, CLI, tests): validated input, one transaction, a typed result; idempotency keys
   * honoured.
   */
  readonly execute: Execute;
  /** Every migration of Weft's parts and the installed systems, for `weft migrate`. */
  migrator(): Migrator;
  /**
   * Lints the wiring: events have schemas, subscriptions match defined types, references and rules name known schemas,
   * commands have their schemas, no schema has two owners.
   */
  checkWiring(): IntegrationReport;
  /**
   * `checkWiring`, throwing a ConfigError that lists the problems: call it once every system is installed, before
   * serving.
   */
  assertWired(): void;
  /** Stops event delivery (handlers in flight finish), then closes the database. */
  close(): Promise<void>;
}

/**
 * The composition root: opens the database, applies Weft's migrations, and builds validation,
 * monitoring, events, state, commands and the system kit on them. No part reaches for a global.
 * @example
 * const weft = await createIntegration({ database: 'sqlite:./data/game.db' })
 * await weft.install(economy, crafting)
 * weft.assertWired()
 * await weft.execute('crafting.craft', { recipeId: 'sword' }, { actor, idempotencyKey })
 * await weft.close()
 */
export async function createIntegration(options: IntegrationOptions = {}): Promise<Integration> {
  const monitoring =
    options.monitoring instanceof MonitoringManager ? options.monitoring : new MonitoringManager(options.monitoring);
  const given =
    typeof options.database === 'string' || options.database === undefined
      ? { url: options.database ?? DEFAULT_DATABASE_URL }
      : options.database;
  const logger = monitoring.logger('database');
  const db = await createDatabase({ logger, onQuery: monitoring.metrics.queryObserver(), ...given });
  logger.info({ target: db.target }, 'database opened');
  // weft_db_up and the pool gauges, read at each scrape: the built-in "database unavailable" alert reads them.
  monitoring.metrics.watchDatabase(db);
  let transport: Transport | undefined;
  try {
    if (options.migrate !== false) await partMigrator(db).up();
    transport =
      typeof options.transport === 'function' ? await options.transport({ db, monitoring }) : options.transport;
  } catch (error) {
    await db.close();
    throw error;
  }
  const validation =
    options.validation ??
    new ValidationManager({
      correlationId: () => currentContext()?.correlationId,
      onFailure: (schema) => monitoring.metrics.validationFailures.inc({ schema }),
    });
  const events = new EventBus({
    db,
    validation,
    metrics: monitoring.metrics,
    logger: monitoring.logger('events'),
    ...(transport === undefined ? {} : { transport }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
  });
  const state = new StateStore({
    db,
    validation,
    events,
    metrics: monitoring.metrics,
    logger: monitoring.logger('state'),
  });
  const commands = new CommandBus({
    db,
    validation,
    state,
    metrics: monitoring.metrics,
    logger: monitoring.logger('commands'),
  });
  const systems = new Systems({ db, events, state, validation, monitoring, commands });
  const checkWiring = () => validation.validateIntegration({ ...events.wiring(), commands: commands.list() });
  let closing: Promise<void> | undefined;
  /** A system asked for or installed after `close` would have no database or delivery to run on. */
  const refuseIfClosed = (): void => {
    if (closing !== undefined) throw new UnavailableError('This integration is closed.', { code: 'WEFT_CLOSED' });
  };
  const close = () => {
    closing ??= events.close().then(() => db.close());
    return closing;
  };
  return {
    db,
    validation,
    monitoring,
    events,
    state,
    commands,
    transaction: (fn, transactionOptions) => state.transaction(fn, transactionOptions),
    system: (name) => {
      refuseIfClosed();
      return systems.handle(name);
    },
    install: async (...definitions) => {
      refuseIfClosed();
      await systems.install(definitions);
    },
    prepare: async (...definitions) => {
      refuseIfClosed();
      await systems.install(definitions, { migrate: false, start: false });
    },
    execute: (command: string | { name: string }, input: unknown, executeOptions?: ExecuteOptions) =>
      commands.execute(command, input, executeOptions),
    migrator: () => {
      const migrator = partMigrator(db);
      for (const { system, migrations } of systems.installed()) migrator.register(system, migrations);
      return migrator;
    },
    checkWiring,
    assertWired: () => {
      const report = checkWiring();
      if (!report.ok) {
        throw new ConfigError(
          `The integration is wired wrong:\n${report.problems.map((p) => `- ${p.subject}: ${p.message}`).join('\n')}`,
          { details: { problems: report.problems } },
        );
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function partMigrator(db: Database): Migrator {
  const migrator = new Migrator(db);
  for (const { part, migrations } of PART_MIGRATIONS) migrator.register(part, migrations);
  return migrator;
}
