import { performance } from 'node:perf_hooks';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { percentile, type Run } from './distributed-figures.js';

/** Publishes kept in flight, as in issue 14's measurement of raw JetStream. */
const IN_FLIGHT = 1000;

/**
 * The distributed benchmark's peer: raw JetStream through the @nats-io packages on the same server. One stream, one
 * durable pull consumer (explicit acks) consuming while `count` messages of `size` bytes are published with 1,000 in
 * flight; each message carries its publish time, so the lag is from publish to consume. A warm-up round first.
 */
export async function rawJetStream(
  url: string,
  stream: string,
  count: number,
  size: number,
  cleanup: Array<() => Promise<void>>,
): Promise<Run> {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  const subject = `${stream.toLowerCase()}.m`;
  await jsm.streams.add({ name: stream, subjects: [subject] });
  cleanup.push(async () => {
    await jsm.streams.delete(stream);
    await nc.close();
  });
  await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
  const js = jetstream(nc);
  const messages = await (await js.consumers.get(stream, 'raw')).consume();
  const lags: number[] = [];
  let consumed = 0;
  let lastAt = 0;
  let wanted = 0;
  let reached: (() => void) | undefined;
  const consuming = (async () => {
    for await (const message of messages) {
      const at = performance.timeOrigin + performance.now();
      lags.push(at - Buffer.from(message.data.buffer, message.data.byteOffset, 8).readDoubleLE(0));
      message.ack();
      lastAt = at;
      if (++consumed >= wanted) reached?.();
    }
  })();
  const round = async (total: number): Promise<Run> => {
    lags.length = 0;
    wanted = consumed + total;
    const done = new Promise<void>((resolve) => (reached = resolve));
    const startedAt = performance.timeOrigin + performance.now();
    const payload = Buffer.alloc(Math.max(size, 8), 'x');
    let inFlight = 0;
    let freed: (() => void) | undefined;
    const publishes: Array<Promise<unknown>> = [];
    for (let n = 0; n < total; n++) {
      while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (freed = resolve));
      const data = Buffer.from(payload);
      data.writeDoubleLE(performance.timeOrigin + performance.now(), 0);
      inFlight++;
      publishes.push(
        js.publish(subject, data).finally(() => {
          inFlight--;
          freed?.();
        }),
      );
    }
    await Promise.all(publishes);
    await done;
    const sorted = [...lags].sort((a, b) => a - b);
    return {
      events: total,
      seconds: (lastAt - startedAt) / 1000,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
    };
  };
  try {
    await round(Math.min(3_000, count));
    return await round(count);
  } finally {
    messages.stop();
    await consuming;
  }
}
