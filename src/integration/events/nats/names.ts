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
