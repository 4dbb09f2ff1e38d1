import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog, EventRelay, Migrator, eventMigrations, uuidv7, type EventEnvelope } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, postgresTestUrl, type TestDatabase } from 'weft/testing';
import { deleteStreams, natsAvailableForTests, natsTestUrl, uniqueStream } from './nats-test-server.js';

const envelope = (): EventEnvelope => ({
  id: uuidv7(),
  type: 'crafting.item_crafted',
  version: 1,
  source: 'crafting',
  time: new Date().toISOString(),
  partitionKey: 'ann',
  correlationId: uuidv7(),
  causationId: undefined,
  traceparent: undefined,
  data: {},
});

/**
 * With several processes each relaying after its own commits, the relay's position row is mostly held by another. A
 * pass that finds it held must say so at once, without first reading the log's horizon: that read waits for every
 * publishing transaction in flight, and holds new publishers off while it waits.
 */
describe.runIf((await natsAvailableForTests()) && (await postgresAvailableForTests()))('a busy relay pass', () => {
  let db: TestDatabase<unknown>;
  let nc: NatsConnection;
  let other: pg.Client;
  /** The relay of the test, stopped after it. */
  let current: EventRelay | undefined;
  const streams: string[] = [];

  /** A relay on a stream of the test's own (made on the server when `made`). */
  async function relayOnNewStream(made: boolean): Promise<{ relay: EventRelay; stream: string }> {
    const { stream, subjectPrefix } = uniqueStream();
    if (made) {
      await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`${subjectPrefix}.>`] });
      streams.push(stream);
    }
    const relay = new EventRelay({
      db,
      nc,
      stream,
      subjectPrefix,
      batch: 10,
      publishTimeoutMs: 2000,
      logger: undefined,
      lost: () => new AbortController().signal,
      published: () => undefined,
      busyRetryMs: 20,
    });
    current = relay;
    await relay.position();
    return { relay, stream };
  }

  /** Holds the relay's position row in `other`'s transaction, as another process's pass does. */
  async function holdPositionRow(stream: string): Promise<void> {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db.executor());
    await other.query('begin');
    await other.query(`select seq from "${rows[0]?.schema ?? ''}".weft_event_relay where stream = $1 for update`, [
      stream,
    ]);
  }

  beforeEach(async () => {
    db = await createTestDatabase({ dialect: 'postgres' });
    await new Migrator(db).register('events', eventMigrations).up();
    nc = await connect({ servers: natsTestUrl() });
    other = new pg.Client({ connectionString: postgresTestUrl() });
    await other.connect();
  });

  afterEach(async () => {
    current?.stop();
    await current?.settled();
    current = undefined;
    await deleteStreams(streams.splice(0));
    await other.end();
    await nc.close();
    await db.close();
  });

  it('returns while another process holds the position row and a publisher is still open', async () => {
    const { relay, stream } = await relayOnNewStream(false);
    // Another process is relaying: it holds the position row in its pass's transaction.
    await holdPositionRow(stream);

    // A publisher has taken its sequence number and not committed yet.
    let commit: () => void = () => undefined;
    let inserted: () => void = () => undefined;
    const release = new Promise<void>((resolve) => (commit = resolve));
    const insertedNow = new Promise<void>((resolve) => (inserted = resolve));
    const log = new EventLog(db);
    const publisher = db.transaction(async () => {
      await log.append(envelope());
      await db.flushPending();
      inserted();
      await release;
    });
    await insertedNow;

    // Before, the pass read the horizon first, which waits for the open publisher: this never returned.
    await relay.run();
    expect(await relay.position()).toBe(0);

    commit();
    await publisher;
    await other.query('rollback');
  });

  it('relays what it committed once the other process lets go, without another commit or poll', async () => {
    const { relay, stream } = await relayOnNewStream(true);
    await holdPositionRow(stream);
    const log = new EventLog(db);
    await db.transaction(() => log.append(envelope()));
    // The other process's pass read the horizon before this commit: it ends without this event.
    await relay.run();
    expect(await relay.position()).toBe(0);
    await other.query('rollback');
    // Nothing else happens here: no commit, no poll; the relay looks again by itself.
    for (let look = 0; look < 500 && (await relay.position()) === 0; look++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await relay.position()).toBe(1);
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    expect(info.state.messages).toBe(1);
  });
});
