import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach } from 'vitest';
import { NatsTransport, type Database, type NatsTransportOptions } from 'weft/internal';

/** The NATS server tests use: `WEFT_TEST_NATS_URL`, else the local default. */
export function natsTestUrl(): string {
  return process.env.WEFT_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
}

let probe: Promise<string | undefined> | undefined;

/**
 * Whether NATS tests can run. With `CI=true` an unreachable server (or one without JetStream) is an
 * error, so the tests fail rather than skip; otherwise one loud line, and false.
 */
export async function natsAvailableForTests(): Promise<boolean> {
  probe ??= reachability(natsTestUrl());
  const failure = await probe;
  if (failure === undefined) return true;
  const line = `NATS JetStream at ${natsTestUrl()} is not reachable (${failure})`;
  if (process.env.CI === 'true') throw new Error(`${line}; CI=true, so NATS tests fail instead of skipping.`);
  process.stderr.write(`\n!!! SKIPPING NATS TESTS: ${line}. Set CI=true to make this a failure.\n\n`);
  return false;
}

async function reachability(url: string): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: url, timeout: 3000 });
    try {
      await (await jetstreamManager(nc)).getAccountInfo();
    } finally {
      await nc.close();
    }
    return undefined;
  } catch (error) {
    return String(error);
  }
}

/** A stream name and subject prefix of a test's own, so tests never meet on the shared server. */
export function uniqueStream(): { stream: string; subjectPrefix: string } {
  const suffix = randomBytes(6).toString('hex');
  return { stream: `WEFT_TEST_${suffix}`, subjectPrefix: `weft_test_${suffix}.events` };
}

/** Deletes the streams a test made (their consumers go with them); a stream already gone is fine. */
export async function deleteStreams(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const nc = await connect({ servers: natsTestUrl() });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of names) await jsm.streams.delete(name).catch((error: unknown) => expectGone(error));
  } finally {
    await nc.close();
  }
}

function expectGone(error: unknown): void {
  if (!String(error).includes('not found')) throw error;
}

/**
 * Transports for the tests of the enclosing describe: each test gets a stream and subject prefix of
 * its own (every transport a test makes shares them, as the processes of one deployment would), and
 * the stream is deleted when the test ends. Short poll, lease and ack wait, so takeovers come quickly.
 */
export function natsTransportsPerTest(
  options: Partial<Omit<NatsTransportOptions, 'url' | 'db'>> = {},
): (db: Database<unknown>) => NatsTransport {
  let names = uniqueStream();
  const made = new Set<string>();
  afterEach(async () => {
    await deleteStreams([...made]);
    made.clear();
    names = uniqueStream();
  });
  return (db) => {
    made.add(names.stream);
    return new NatsTransport({
      url: natsTestUrl(),
      db,
      ...names,
      pollIntervalMs: 20,
      leaseMs: 200,
      ackWaitMs: 300,
      ...options,
    });
  };
}
