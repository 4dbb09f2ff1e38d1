// What the distributed benchmark and its worker processes say to each other over the IPC channel, and the worker's
// settings (one JSON environment variable, checked on arrival).
import { z } from 'zod';

/** The environment variable carrying a worker's settings. */
export const SETTINGS_VARIABLE = 'WEFT_BENCH_DISTRIBUTED';

const WorkerSettings = z.object({
  /** This process's place among the `processes`: it runs subscriptions index, index + processes, ... */
  index: z.int().min(0),
  processes: z.int().min(1),
  postgresUrl: z.string().min(1),
  schema: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  /** Absent: the default transport (the event log in PostgreSQL). */
  nats: z.object({ url: z.string(), stream: z.string(), subjectPrefix: z.string() }).optional(),
  /** Event types, one subscription each. */
  subscriptions: z.int().min(1),
  /** Partition keys per type. */
  partitions: z.int().min(1),
  perTransaction: z.int().min(1),
  /** Publishing transactions each process keeps open at once. */
  inFlight: z.int().min(1),
  padBytes: z.int().min(0),
  pollIntervalMs: z.int().min(1),
});

/** A worker's settings. */
export type WorkerSettings = z.infer<typeof WorkerSettings>;

/** Reads a worker's settings from its environment; throws naming what is wrong. */
export function workerSettings(env: NodeJS.ProcessEnv): WorkerSettings {
  return WorkerSettings.parse(JSON.parse(env[SETTINGS_VARIABLE] ?? 'null'));
}

/** From the benchmark to a worker: publish a range of events, hand over the figures so far, or close. */
export type FromParent =
  | { readonly kind: 'publish'; readonly from: number; readonly count: number }
  | { readonly kind: 'collect' }
  | { readonly kind: 'close' };

/** From a worker to the benchmark. Figures are flat pairs: event number, then a time in ms on the shared clock. */
export type ToParent =
  | { readonly kind: 'ready' }
  | { readonly kind: 'published' }
  | { readonly kind: 'handled'; readonly count: number }
  | { readonly kind: 'figures'; readonly committed: number[]; readonly handled: number[] }
  | { readonly kind: 'failed'; readonly error: string };
