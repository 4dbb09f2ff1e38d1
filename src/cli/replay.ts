import { ConflictError, NatsTransport, createIntegration, type TransportFactory } from '../integration/internal.js';
import { gameSystems } from '../game/index.js';
import type { ServeConfig } from '../server/index.js';

/** The NATS relay's position table (events migration `003_event_relay`): a row per stream it fed from the log. */
interface RelayTables {
  weft_event_relay: { stream: string; updated_at: string };
}

/**
 * `weft replay SUBSCRIPTION`: replays a durable subscription of the game from the start of the log on
 * WEFT_DATABASE_URL, as `POST /admin/subscriptions/:name/replay` does over HTTP. The game is installed in this process
 * (the subscription's reset is code), the rewind commits, and the servers running on the database deliver every
 * event again (this process too, until it exits). On NATS (WEFT_EVENTS_TRANSPORT, as the servers have it) the
 * subscription's consumer is made anew from the start of the stream. Resolves the exit code; a refusal (no such
 * subscription, no reset) is thrown as the WeftError it is.
 */
export async function replay(subscription: string, config: ServeConfig): Promise<number> {
  const lease = config.subscriptionLeaseMs === undefined ? {} : { leaseMs: config.subscriptionLeaseMs };
  const url = config.eventsTransport;
  const transport: TransportFactory | undefined =
    url === undefined
      ? undefined
      : ({ db }) =>
          NatsTransport.connect({
            url,
            db,
            ...lease,
            ...(config.natsNamespace === undefined ? {} : { namespace: config.natsNamespace }),
          });
  await using weft = await createIntegration({
    database: config.databaseUrl,
    migrate: false,
    // stdout carries the outcome; what this short-lived process delivers meanwhile is the servers' business to log.
    monitoring: { logger: { level: 'error' }, processMetrics: false },
    ...lease,
    ...(transport === undefined ? {} : { transport }),
  });
  // A database no server has migrated (a new file, a mistyped URL) has no event log to rewind: said in one line,
  // rather than as the driver's "no such table" with its stack.
  const pending = (await weft.migrator().status()).filter((migration) => !migration.applied);
  if (pending.length > 0) {
    throw new ConflictError(
      `weft replay needs a migrated database: ${weft.db.target} has ${pending.length} of Weft's migrations pending ` +
        `(${pending[0]!.part}/${pending[0]!.name} first); run weft migrate up, or start weft serve on it, first.`,
    );
  }
  // WEFT_EVENTS_TRANSPORT is this shell's, not the servers': a deployment on NATS replayed from a shell without it had
  // its projection cleared and its cursor row rewound while the servers' consumers, whose position is the broker's,
  // never came back for the events. The database knows: the relay keeps a position for each stream it fed.
  const relayed =
    url !== undefined
      ? undefined
      : await weft.db
          .withTables<RelayTables>()
          .executor()
          .selectFrom('weft_event_relay')
          .select(['stream', 'updated_at'])
          .orderBy('updated_at', 'desc')
          .executeTakeFirst();
  if (relayed !== undefined) {
    throw new ConflictError(
      `weft replay needs WEFT_EVENTS_TRANSPORT here: this database's events travel on NATS (the relay fed stream ` +
        `${relayed.stream}, last at ${relayed.updated_at}), whose consumers keep the positions. Set it (and ` +
        'WEFT_NATS_NAMESPACE) as the servers have it, or replay through a server: POST /admin/subscriptions/:name/replay.',
    );
  }
  await weft.install(...gameSystems(config.contentDir === undefined ? {} : { contentFolder: config.contentDir }));
  const { throughSeq } = await weft.events.rebuild(subscription);
  process.stdout.write(
    `Rewound ${subscription}: what it built is cleared, and every event up to #${throughSeq} comes through it again, ` +
      'delivered by the servers on this database (or the next one to start).\n',
  );
  return 0;
}
