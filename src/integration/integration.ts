import { Migrator, createDatabase, type Database, type DatabaseOptions } from './database/index.js';
import { EventBus, eventMigrations } from './events/internal.js';
import { MonitoringManager, type MonitoringOptions } from './monitoring/index.js';
import { StateStore, stateMigrations } from './state/internal.js';
import { ConfigError } from './errors/index.js';
import { ValidationManager, type IntegrationReport } from './validation/index.js';

/** What `createIntegration` is built from; every one optional. */
export interface IntegrationOptions {
  /** A database URL (`sqlite:./data/game.db`, `postgres://...`) or full options. Default: SQLite in memory. */
  readonly database?: string | DatabaseOptions;
  /** A validation manager to share (its schemas and rules); default a new one. */
  readonly validation?: ValidationManager;
  /** A monitoring manager to share, or the options of a new one. */
  readonly monitoring?: MonitoringManager | MonitoringOptions;
  /** Apply the parts' migrations (events, state) on start. Default true. */
  readonly migrate?: boolean;
  /** How often durable subscriptions look for events committed by other processes. Default 1000 ms. */
  readonly pollIntervalMs?: number;
}

/** The parts, wired to one database and one monitoring manager. */
export interface Integration {
  readonly db: Database;
  readonly validation: ValidationManager;
  readonly monitoring: MonitoringManager;
  readonly events: EventBus;
  readonly state: StateStore;
  /** `state.transaction`: state writes across systems and durable events, committed together. */
  readonly transaction: StateStore['transaction'];
  /** Lints the wiring: every defined event has a schema, every subscription matches a defined type, references and rules name known schemas, no schema has two owners. */
  checkWiring(): IntegrationReport;
  /** `checkWiring`, throwing a ConfigError that lists the problems: call it once every system has registered, before serving. */
  assertWired(): void;
  /** Stops event delivery (handlers in flight finish), then closes the database. */
  close(): Promise<void>;
}

/**
 * The composition root: opens the database, applies the parts' migrations, and builds
 * validation, monitoring, events and state on them. No part reaches for a global.
 * @example
 * const weft = await createIntegration({ database: 'sqlite:./data/game.db' })
 * await weft.transaction(async (tx) => { await tx.update('economy', 'ann', (w) => ({ gold: w.gold - 5 })) })
 * await weft.close()
 */
export async function createIntegration(options: IntegrationOptions = {}): Promise<Integration> {
  const monitoring =
    options.monitoring instanceof MonitoringManager ? options.monitoring : new MonitoringManager(options.monitoring);
  const given =
    typeof options.database === 'string' || options.database === undefined
      ? { url: options.database ?? 'sqlite::memory:' }
      : options.database;
  const db = await createDatabase({
    logger: monitoring.logger('database'),
    onQuery: monitoring.metrics.queryObserver(),
    ...given,
  });
  try {
    if (options.migrate !== false)
      await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
  } catch (error) {
    await db.close();
    throw error;
  }
  const validation = options.validation ?? new ValidationManager();
  const events = new EventBus({
    db,
    validation,
    metrics: monitoring.metrics,
    logger: monitoring.logger('events'),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  });
  const state = new StateStore({
    db,
    validation,
    events,
    metrics: monitoring.metrics,
    logger: monitoring.logger('state'),
  });
  let closing: Promise<void> | undefined;
  const checkWiring = () => validation.validateIntegration(events.wiring());
  return {
    db,
    validation,
    monitoring,
    events,
    state,
    transaction: (fn, transactionOptions) => state.transaction(fn, transactionOptions),
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
    close: () => {
      closing ??= events.close().then(() => db.close());
      return closing;
    },
  };
}
