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
import { ConfigError, ConflictError } from '../../errors/internal.js';
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
  await consumerAdded(jsm, settings, subscription);
  return consumerNameOf(subscription.name);
}

/** Makes the subscription's durable consumer when it is not there; resolves whether it made it. */
export async function consumerAdded(
  jsm: JetStreamManager,
  settings: { readonly stream: string; readonly subjectPrefix: string; readonly ackWaitMs: number },
  subscription: TransportSubscription,
): Promise<boolean> {
  try {
    await jsm.consumers.info(settings.stream, consumerNameOf(subscription.name));
    return false;
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound) throw error;
  }
  await addConsumer(jsm, settings, subscription);
  return true;
}

/** Adds the subscription's durable consumer, from the stream's start or (`startFrom: 'now'`) its end. */
async function addConsumer(
  jsm: JetStreamManager,
  settings: { readonly stream: string; readonly subjectPrefix: string; readonly ackWaitMs: number },
  subscription: TransportSubscription,
): Promise<void> {
  const { stream, subjectPrefix, ackWaitMs } = settings;
  await jsm.consumers.add(stream, {
    durable_name: consumerNameOf(subscription.name),
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: MAX_ACK_PENDING,
    filter_subject: filterOf(subjectPrefix, subscription.pattern),
    deliver_policy: subscription.startFrom === 'now' ? DeliverPolicy.New : DeliverPolicy.All,
  });
}

/**
 * Refuses a replay the stream cannot serve: one that no longer holds the log from its first event (a stream with
 * limits, or purged) would hand the replay without the events before. Checked before anything of the replay is done.
 */
export async function assertStreamHoldsLogStart(
  jsm: JetStreamManager,
  stream: string,
  subscription: TransportSubscription,
): Promise<void> {
  const { state } = await jsm.streams.info(stream);
  if (state.messages > 0 && state.first_seq > 1) {
    throw new ConflictError(
      `Subscription "${subscription.name}" cannot be replayed: JetStream stream "${stream}" no longer holds ` +
        `the start of the event log (its first message is #${state.first_seq}; limits or a purge removed the ones ` +
        'before), and a replay from it would miss them.',
      { details: { subscription: subscription.name, stream, firstSeq: state.first_seq } },
    );
  }
}

/**
 * A replay's consumer: the subscription's durable consumer made anew from the start of the stream. JetStream 2.9
 * cannot move a consumer back, so it is deleted and added again under its name, and the processes pulling it pull the
 * new one. An add that fails after the delete is tried once more, then reported: the rebuild then rolls back, and the
 * holder's next pull or acknowledgement that finds no consumer makes it again (NatsStream), from the stream's start,
 * skipping what the cursor row says was acknowledged. A rebuild that rolls back after the add (a reset that throws)
 * leaves the new consumer: everything comes again, and the inbox turns away what was handled.
 */
export async function restartConsumer(
  jsm: JetStreamManager,
  settings: { readonly stream: string; readonly subjectPrefix: string; readonly ackWaitMs: number },
  subscription: TransportSubscription,
): Promise<void> {
  const name = consumerNameOf(subscription.name);
  try {
    await jsm.consumers.delete(settings.stream, name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound) throw error;
  }
  // Added without looking first: right after the delete, the server may still describe the consumer it removed.
  const fromStart = { ...subscription, startFrom: 'beginning' as const };
  try {
    await addConsumer(jsm, settings, fromStart);
  } catch {
    await addConsumer(jsm, settings, fromStart);
  }
}
