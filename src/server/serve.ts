import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import {
  ConfigError,
  MonitoringManager,
  NatsTransport,
  UnavailableError,
  createIntegration,
  type Database,
  type Integration,
  type TransportFactory,
} from '../integration/internal.js';
import { gameRoutes, gameSystems } from '../game/index.js';
import { buildApp } from './app.js';
import { DEFAULT_IDEMPOTENCY_RETENTION_HOURS, type ServeConfig } from './config.js';
import { drainConnections } from './drain.js';
import { endEventStreams } from './event-stream-route.js';
import { listenError } from './listen-error.js';
import { startIdempotencyPruner } from './idempotency-pruner.js';
import { startWorldTicker } from './world-ticker.js';

/** A started server: where it listens, and how to stop it in order. */
export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly db: Database;
  /** The integration the game runs on. */
  readonly weft: Integration;
  /** The first admin's password when this start made the account and chose it; shown once. */
  readonly generatedAdminPassword: string | undefined;
  /**
   * Stops the world clock's ticks, stops accepting, lets open requests finish and keep-alive clients hang up
   * (`drain.ts`), then stops monitoring and closes the integration and its database.
   */
  close(): Promise<void>;
}

/**
 * Opens the database, applies Weft's migrations, installs the game (content checked, its systems'
 * migrations applied, subscriptions started), makes the first admin, builds the app, listens, and
 * ticks the world clock every `worldTickMs` and prunes idempotency keys past their retention.
 */
export async function startServer(
  config: ServeConfig,
  monitoring = new MonitoringManager({ logger: { level: config.logLevel } }),
): Promise<RunningServer> {
  // Checked before the database is opened: a mistyped folder would otherwise be found only once Weft's
  // migrations had run, and reported as one unreadable file per collection without naming the setting.
  if (config.contentDir !== undefined) await checkContentDir(config.contentDir);
  const dbLogger = monitoring.logger('database');
  // Connected at start, so an unreachable NATS stops the start with one line (UnavailableError or ConfigError).
  let nats: NatsTransport | undefined;
  const lease = config.subscriptionLeaseMs === undefined ? {} : { leaseMs: config.subscriptionLeaseMs };
  const url = config.eventsTransport;
  /** Set once the database is open (the transport is made after it): what failed before is the database's. */
  let databaseOpened = false;
  const transport: TransportFactory | undefined =
    url === undefined
      ? undefined
      : async ({ db }) => {
          databaseOpened = true;
          nats = await NatsTransport.connect({
            url,
            db,
            metrics: monitoring.metrics,
            logger: monitoring.logger('events'),
            ...lease,
            ...(config.natsNamespace === undefined ? {} : { namespace: config.natsNamespace }),
          });
          return nats;
        };
  // Migrated here rather than by createIntegration, so the start-up log names what was applied.
  const weft = await createIntegration({
    database: config.databaseUrl,
    monitoring,
    migrate: false,
    ...lease,
    ...(transport === undefined ? {} : { transport }),
  }).catch((error: unknown) => {
    throw databaseOpened ? error : namingDatabaseSetting(error);
  });
  const { db } = weft;
  let app: FastifyInstance | undefined;
  try {
    const applied = await weft.migrator().up();
    dbLogger.info({ target: db.target, applied: applied.map((m) => `${m.part}/${m.name}`) }, 'database ready');
    // Bad content stops here, with the whole report (ContentError).
    await weft.install(...gameSystems(config.contentDir === undefined ? {} : { contentFolder: config.contentDir }));
    weft.assertWired();
    const admin = await weft.execute(
      'auth_user.bootstrap_admin',
      config.adminPassword === undefined ? {} : { password: config.adminPassword },
    );
    monitoring.health.register({ name: 'database', target: db.target, check: () => db.ping() });
    const broker = nats;
    if (broker !== undefined)
      monitoring.health.register({ name: 'nats', target: broker.url, check: () => broker.ping() });
    monitoring.start();
    app = buildApp({
      monitoring,
      state: weft.state,
      corsOrigins: config.corsOrigins,
      game: { weft, routes: gameRoutes },
      ...(config.consoleDir === undefined ? {} : { console: { staticRoot: config.consoleDir } }),
      ...(config.adminToken === undefined ? {} : { adminToken: config.adminToken }),
      ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
    });
    const drain = drainConnections(app);
    const url = await app
      .listen({ port: config.port, host: config.host })
      .catch((error: unknown) => Promise.reject(listenError(error, config)));
    const started = app;
    // Started last, so a refused start has no tick to stop; stopped first, so no tick meets a closing database.
    const ticker = config.worldTickMs > 0 ? startWorldTicker(weft, monitoring, config.worldTickMs) : undefined;
    const pruner = startIdempotencyPruner(weft, monitoring, {
      retentionMs: (config.idempotencyRetentionHours ?? DEFAULT_IDEMPOTENCY_RETENTION_HOURS) * 3_600_000,
    });
    let closing: Promise<void> | undefined;
    return {
      url,
      app: started,
      db,
      weft,
      generatedAdminPassword: admin.generatedPassword,
      close: () => {
        closing ??= Promise.all([ticker?.stop(), pruner.stop()])
          // Event streams never end on their own: ended first, so draining waits only for real requests.
          .then(() => endEventStreams(started))
          .then(() => drain.close())
          .then(() => started.close())
          .then(() => monitoring.stop())
          .then(() => weft.close());
        return closing;
      },
    };
  } catch (error) {
    // Undo what started, in reverse order, so a refused start leaves nothing running.
    await app?.close();
    await monitoring.stop();
    await weft.close();
    throw error;
  }
}

/**
 * A bad or unreachable database, said as a setting like every other (`Setting WEFT_DATABASE_URL: ...`): the database
 * layer names the URL, not where it came from.
 */
function namingDatabaseSetting(error: unknown): unknown {
  if (!(error instanceof ConfigError || error instanceof UnavailableError)) return error;
  const message = `Setting WEFT_DATABASE_URL: ${error.message.replace(/^Setting "url": /, '')}`;
  return error instanceof ConfigError
    ? new ConfigError(message, { cause: error, details: error.details })
    : new UnavailableError(message, { cause: error, details: error.details });
}

/** A ConfigError naming WEFT_CONTENT_DIR unless `folder` is a folder this process can read. */
async function checkContentDir(folder: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new ConfigError(
      `Invalid environment: setting WEFT_CONTENT_DIR: must be a folder of content JSON files (received: ${JSON.stringify(folder)}, ${why}).`,
    );
  };
  const found = await stat(folder).catch((error: NodeJS.ErrnoException) =>
    refuse(error.code === 'ENOENT' ? 'which does not exist' : `which cannot be read (${error.code ?? error.message})`),
  );
  if (!found.isDirectory()) refuse('which is not a folder');
}

/**
 * Closes the server on SIGINT or SIGTERM and exits 0; a second signal (of either kind) exits at once with 1. The
 * handlers are installed at once, so pass the start's promise to be covered while it runs: a signal then is held
 * until the server has started (it listens by then), and the server is closed as soon as it has.
 */
export function closeOnSignals(server: RunningServer | Promise<RunningServer>, monitoring: MonitoringManager): void {
  const logger = monitoring.logging.root;
  let stopping = false;
  let running: RunningServer | undefined;
  const close = (started: RunningServer): void => {
    started.close().then(
      () => {
        logger.info('shut down cleanly');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    if (running === undefined) {
      logger.info({ signal }, 'shutting down as soon as the start has finished');
      return;
    }
    logger.info({ signal }, 'shutting down: no new requests, finishing open ones');
    close(running);
  };
  // `on`, not `once`: with its listener gone, a second signal would kill the process the default way (no line, no 1).
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  Promise.resolve(server).then(
    (started) => {
      running = started;
      if (!stopping) return;
      logger.info('started: shutting down now, no new requests, finishing open ones');
      close(started);
    },
    () => {
      // The start failed and says so itself; the process ends as it would without these handlers.
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  );
}
