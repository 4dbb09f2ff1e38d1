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

/** How a stream says which deployment feeds it, in its description. */
const OWNER = /^weft deployment ([0-9a-f-]{36})$/;

/**
 * Makes the stream when missing, marked as this deployment's; refuses one another deployment marked (two databases
 * feeding one stream consume each other's events as their own) and one whose duplicate window would let a relay's
 * retry through twice. A stream with no description (made before the mark, or by hand) is marked now.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  settings: {
    readonly stream: string;
    readonly subjectPrefix: string;
    readonly relayRetryHorizonMs: number;
    readonly deployment: string;
  },
): Promise<void> {
  const { stream, subjectPrefix, relayRetryHorizonMs, deployment } = settings;
  const mark = `weft deployment ${deployment}`;
  let window: number;
  try {
    const { config } = await jsm.streams.info(stream);
    if (!config.subjects?.includes(`${subjectPrefix}.>`)) {
      throw new ConfigError(
        `JetStream stream "${stream}" does not take subjects ${subjectPrefix}.> (it takes ` +
          `${config.subjects?.join(', ') ?? 'none'}): give it those subjects or choose another stream or prefix.`,
      );
    }
    const owner = OWNER.exec(config.description ?? '')?.[1];
    if (owner !== undefined && owner !== deployment) throw anotherDeployment(stream, owner, deployment);
    // Unmarked (made before the mark, or by hand without a description): the first deployment to start on it owns it.
    if (config.description === undefined || config.description === '')
      await jsm.streams.update(stream, { description: mark });
    window = millis(config.duplicate_window);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
    const made = await jsm.streams.add({
      name: stream,
      description: mark,
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

function anotherDeployment(stream: string, owner: string, deployment: string): ConfigError {
  return new ConfigError(
    `JetStream stream "${stream}" carries the events of another Weft deployment (${owner}; this database is ` +
      `${deployment}): two databases on one stream would consume each other's events. Give each deployment on this ` +
      `NATS server its own WEFT_NATS_NAMESPACE, or delete the stream (nats stream rm ${stream}) if that deployment ` +
      'is gone for good.',
    { details: { stream, owner, deployment } },
  );
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
