import { ConflictError, createIntegration } from '../integration/internal.js';
import { gameSystems } from '../game/index.js';
import type { ServeConfig } from '../server/index.js';

/**
 * `weft replay SUBSCRIPTION`: replays a durable subscription of the game from the start of the log on
 * WEFT_DATABASE_URL, as `POST /admin/subscriptions/:name/replay` does over HTTP. The game is installed in this process
 * (the subscription's reset is code), the rewind commits, and the servers running on the database deliver every
 * event again (this process too, until it exits). Resolves the exit code; a refusal (no such subscription, no reset)
 * is thrown as the WeftError it is.
 */
export async function replay(subscription: string, config: ServeConfig): Promise<number> {
  if (config.eventsTransport !== undefined) {
    // The rewind would clear the projection while the servers' NATS consumers never come back for the events.
    throw new ConflictError(
      'weft replay needs the database transport: with WEFT_EVENTS_TRANSPORT on NATS the broker keeps the positions.',
    );
  }
  await using weft = await createIntegration({
    database: config.databaseUrl,
    migrate: false,
    // stdout carries the outcome; what this short-lived process delivers meanwhile is the servers' business to log.
    monitoring: { logger: { level: 'error' }, processMetrics: false },
    ...(config.subscriptionLeaseMs === undefined ? {} : { leaseMs: config.subscriptionLeaseMs }),
  });
  await weft.install(...gameSystems(config.contentDir === undefined ? {} : { contentFolder: config.contentDir }));
  const { throughSeq } = await weft.events.rebuild(subscription);
  process.stdout.write(
    `Rewound ${subscription}: what it built is cleared, and every event up to #${throughSeq} comes through it again, ` +
      'delivered by the servers on this database (or the next one to start).\n',
  );
  return 0;
}
