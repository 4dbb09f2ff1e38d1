import { createHash } from 'node:crypto';
import { ConfigError } from '../../errors/internal.js';

/** One subject token: what NATS takes between dots, kept to a safe set. */
const TOKEN = /^[A-Za-z0-9_-]+$/;
/** JetStream stream and consumer names: no dots, wildcards or spaces. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Refuses a subject prefix that is not dot-separated safe tokens, so subjects and filters stay unambiguous. */
export function checkSubjectPrefix(prefix: string): string {
  if (prefix.split('.').every((token) => TOKEN.test(token))) return prefix;
  throw new ConfigError(
    `Invalid NATS subject prefix "${prefix}": must be dot-separated tokens of letters, digits, _ and - (weft.events).`,
  );
}

/** Refuses a stream name JetStream would refuse, before any request. */
export function checkStreamName(name: string): string {
  if (NAME.test(name)) return name;
  throw new ConfigError(`Invalid JetStream stream name "${name}": must be 1 to 64 letters, digits, _ and -.`);
}

/** A deployment's name on a NATS server shared with others: letters, digits, _ and -. */
const NAMESPACE = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * The stream and subject prefix of a deployment's events on a NATS server: `WEFT_EVENTS` and `weft.events` without a
 * namespace; `WEFT_EVENTS_<namespace>` and `weft.ns.<namespace>` with one. Deployments on one NATS server with other
 * databases need namespaces of their own: with the same names each would consume the other's events as its own. The
 * prefixes never overlap (`weft.events.>` against `weft.ns.<namespace>.>`), which JetStream requires of two streams.
 */
export function natsNamesOf(namespace?: string): { readonly stream: string; readonly subjectPrefix: string } {
  if (namespace === undefined) return { stream: 'WEFT_EVENTS', subjectPrefix: 'weft.events' };
  if (!NAMESPACE.test(namespace)) {
    throw new ConfigError(`Invalid NATS namespace "${namespace}": must be 1 to 40 letters, digits, _ and -.`);
  }
  return { stream: `WEFT_EVENTS_${namespace}`, subjectPrefix: `weft.ns.${namespace}` };
}

/** The subject an event of `type` (`system.event`) is published on: one subject per type. */
export function subjectOf(prefix: string, type: string): string {
  return `${prefix}.${type}`;
}

/** The consumer filter of a subscription pattern: an exact type, `system.*`, or `*` for every type. */
export function filterOf(prefix: string, pattern: string): string {
  return pattern === '*' ? `${prefix}.>` : `${prefix}.${pattern}`;
}

/**
 * The durable consumer name of a subscription: its name when JetStream takes it as is, otherwise its safe
 * characters and a hash of the whole name, so two names that differ only in refused characters stay two consumers.
 */
export function consumerNameOf(subscription: string): string {
  if (NAME.test(subscription)) return subscription;
  const hash = createHash('sha256').update(subscription).digest('hex').slice(0, 12);
  return `${subscription.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48)}_${hash}`;
}
