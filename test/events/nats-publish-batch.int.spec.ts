import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from 'weft/internal';
import { publishBatch } from '../../src/integration/events/nats/publish-batch.js';
import { deleteStreams, natsAvailableForTests, natsTestUrl, uniqueStream } from './nats-test-server.js';

/** The relay's publisher speaks JetStream's publish itself; the stream must see what the client library would send. */
describe.runIf(await natsAvailableForTests())('publishing a batch to JetStream', () => {
  const { stream, subjectPrefix } = uniqueStream();
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: natsTestUrl() });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${subjectPrefix}.>`], duplicate_window: 60_000_000_000 });
  });

  afterAll(async () => {
    await nc.close();
    await deleteStreams([stream]);
  });

  const messages = (ids: readonly number[]) =>
    ids.map((id) => ({ subject: `${subjectPrefix}.k${id % 3}`, data: JSON.stringify({ id }), msgId: `m${id}` }));

  it('stores every message in order, and counts the ones the stream already had as duplicates', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => i);
    await expect(publishBatch(nc, messages(ids), 5000)).resolves.toEqual({ duplicates: 0 });
    // A relay that died before moving its position publishes some again, with new ones after them.
    await expect(publishBatch(nc, messages([298, 299, 300]), 5000)).resolves.toEqual({ duplicates: 2 });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(stream)).state.messages).toBe(301);
    const stored: number[] = [];
    for (let seq = 1; seq <= 301; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq });
      stored.push(message?.json<{ id: number }>().id ?? -1);
      expect(message?.header.get('Nats-Msg-Id')).toBe(`m${message?.json<{ id: number }>().id}`);
    }
    expect(stored).toEqual([...ids, 300]);
  });

  it('fails with UnavailableError when no stream takes the subject', async () => {
    const publishing = publishBatch(nc, [{ subject: 'weft_test_nowhere.x', data: '{}', msgId: 'x' }], 5000);
    await expect(publishing).rejects.toBeInstanceOf(UnavailableError);
    await expect(publishing).rejects.toThrow(/503/);
  });

  it('fails with UnavailableError when the stream refuses a message', async () => {
    const jsm = await jetstreamManager(nc);
    const small = uniqueStream();
    await jsm.streams.add({ name: small.stream, subjects: [`${small.subjectPrefix}.>`], max_msg_size: 64 });
    try {
      const big = [{ subject: `${small.subjectPrefix}.a`, data: 'x'.repeat(200), msgId: 'big' }];
      await expect(publishBatch(nc, big, 5000)).rejects.toThrow(/JetStream refused a publish/);
    } finally {
      await deleteStreams([small.stream]);
    }
  });

  it('fails with UnavailableError when the answers do not all come within the time given', async () => {
    // A listener that takes the messages and never answers, as a stream on a stalled server would.
    const silent = nc.subscribe('weft_test_silent.>');
    try {
      const publishing = publishBatch(nc, [{ subject: 'weft_test_silent.a', data: '{}', msgId: 's' }], 200);
      await expect(publishing).rejects.toBeInstanceOf(UnavailableError);
      await expect(publishing).rejects.toThrow('JetStream confirmed 0 of 1 publishes within 200 ms.');
    } finally {
      silent.unsubscribe();
    }
  });

  it('resolves at once for an empty batch', async () => {
    await expect(publishBatch(nc, [], 5000)).resolves.toEqual({ duplicates: 0 });
  });
});
