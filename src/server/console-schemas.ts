import { z } from 'zod';

/** An event envelope as the console routes answer it (absent optional fields are left out). */
export const Envelope = z.strictObject({
  id: z.string(),
  type: z.string(),
  version: z.int(),
  source: z.string(),
  time: z.string(),
  partitionKey: z.string().optional(),
  correlationId: z.string(),
  causationId: z.string().optional(),
  traceparent: z.string().optional(),
  data: z.unknown(),
});

/** An event a durable subscription gave up on: the envelope, the last error, how many attempts. */
export const DeadLetterView = z.strictObject({
  id: z.string(),
  subscription: z.string(),
  eventId: z.string(),
  type: z.string(),
  envelope: Envelope,
  error: z.string(),
  attempts: z.int(),
  correlationId: z.string(),
  createdAt: z.string(),
});

/** A dead letter's id, as the table holds them. */
export const DeadLetterId = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'a dead letter id') });

/** A subscription name as the game names them. */
export const SubscriptionName = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'a subscription name');

/** A durable subscription's figures: what it has not handled yet, what it gave up on, how it fails now. */
export const SubscriptionView = z.strictObject({
  name: z.string(),
  pattern: z.string(),
  /** Whether it declares a reset, so an operator may replay it from the start of the log. */
  replayable: z.boolean(),
  /** Events of the types it takes that it has not handled yet (counted in the database). */
  undelivered: z.int(),
  /** Age of the oldest event it has not handled yet, in ms, as this process last saw it. */
  lagMs: z.number(),
  /** Its dead letters (in the database, from every process). */
  deadLetters: z.int(),
  /** Handler attempts that threw in this process since it started. */
  failures: z.int(),
});

/** One slice's figures, as `/status` reports them. */
export const SliceView = z.strictObject({
  system: z.string(),
  slice: z.string(),
  entries: z.int(),
  lastChangeAt: z.string().optional(),
  lastVersion: z.int().optional(),
  changesLastMinute: z.int(),
  conflictsLastMinute: z.int(),
  callbacksFailing: z.int(),
  undeliveredEvents: z.int(),
  deadLetters: z.int(),
});

/** Each system: its slices (sync status) and its durable subscriptions. */
export const SystemsView = z.strictObject({
  health: z.enum(['ok', 'degraded']),
  systems: z.array(
    z.strictObject({
      name: z.string(),
      slices: z.array(SliceView),
      subscriptions: z.array(SubscriptionView),
    }),
  ),
});

/** One sample of the throughput sampler. */
export const ThroughputSample = z.strictObject({
  /** ISO time the sample was taken. */
  at: z.string(),
  /** Events published per second since the previous sample. */
  eventsPerSecond: z.number(),
  /** Events handled by durable subscriptions per second since the previous sample. */
  deliveriesPerSecond: z.number(),
  /** The largest delivery lag over the subscriptions, in ms. */
  deliveryLagMs: z.number(),
  /** The 99th percentile of handler time since the previous sample, in ms (a bucket bound); none: no handler ran. */
  handlerP99Ms: z.number().optional(),
});

/** The samples kept, oldest first. */
export const RecentMetrics = z.strictObject({
  intervalMs: z.int(),
  samples: z.array(ThroughputSample),
});
