// What a NatsTransport finds or makes on the server at start and per subscription: the stream, checked against the
// relay's promises, and one durable pull consumer per subscription.
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { millis, nanos } from '@nats-io/transport-node';
import { ConfigError } from '../../errors/internal.js';
import type { TransportSubscription } from '../transport.js';
import { consumerNameOf, filterOf } from './names.js';

/** The most events a consumer hands out unacknowledged: several delivery groups of the engine. */
const MAX_ACK_PENDING = 1000;

/** Makes the stream when missing; refuses one whose duplicate window would let a relay's retry through twice. */
export async function ensureStream(
  jsm: JetStreamManager,
  settings: { readonly stream: string; readonly subjectPrefix: string; readonly relayRetryHorizonMs: number },
): Promise<void> {
  const { stream, subjectPrefix, relayRetryHorizonMs } = settings;
  let window: number;
  try {
    const { config } = await jsm.streams.info(stream);
    if (!config.subjects?.includes(`${subjectPrefix}.>`)) {
      throw new ConfigError(
        `JetStream stream "${stream}" does not take subjects ${subjectPrefix}.> (it takes ` +
          `${config.subjects?.join(', ') ?? 'none'}): give it those subjects or choose another stream or prefix.`,
      );
    }
    window = millis(config.duplicate_window);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
    const made = await jsm.streams.add({
      name: stream,
      subjects: [`${subjectPrefix}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(relayRetryHorizonMs * 2),
    });
    window = millis(made.config.duplicate_window);
  }
  if (window <= relayRetryHorizonMs) {
    throw new ConfigError(
      `JetStream stream "${stream}" drops duplicates for ${window} ms, not longer than the relay's retry horizon ` +
        `(${relayRetryHorizonMs} ms): a relay publishing again could deliver an event twice to the stream. ` +
        `Raise its duplicate_window (nats stream edit ${stream} --dupe-window) above the horizon.`,
    );
  }
}

/** The subscription's durable consumer, made when new; resolves its name. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  settings: { readonly stream: string; readonly subjectPrefix: string; readonly ackWaitMs: number },
  subscription: TransportSubscription,
): Promise<string> {
  const { stream, subjectPrefix, ackWaitMs } = settings;
  const name = consumerNameOf(subscription.name);
  try {
    await jsm.consumers.info(stream, name);
    return name;
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound) throw error;
  }
  await jsm.consumers.add(stream, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: MAX_ACK_PENDING,
    filter_subject: filterOf(subjectPrefix, subscription.pattern),
    deliver_policy: subscription.startFrom === 'now' ? DeliverPolicy.New : DeliverPolicy.All,
  });
  return name;
}
