import type { Counter, Gauge, Histogram } from 'prom-client';
import { ConfigError } from '../errors/internal.js';
import type { WeftMetrics } from '../monitoring/internal.js';

/** Label values by name; the `system` label is added by the system's metrics. */
type Labels<L extends string> = Partial<Record<L, string | number>>;

/** A counter of one system. */
export interface SystemCounter<L extends string> {
  inc(labels?: Labels<L>, value?: number): void;
}

/** A gauge of one system. */
export interface SystemGauge<L extends string> {
  set(labels: Labels<L>, value: number): void;
  inc(labels?: Labels<L>, value?: number): void;
  dec(labels?: Labels<L>, value?: number): void;
}

/** A histogram of one system (milliseconds unless other buckets are given). */
export interface SystemHistogram<L extends string> {
  observe(labels: Labels<L>, value: number): void;
}

/** How a system declares an instrument: a short snake_case name, help text, and label names from a small set. */
export interface SystemInstrumentOptions<L extends string> {
  readonly help: string;
  readonly labelNames?: readonly L[];
}

const SHORT_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * A system's metrics, in Weft's registry: `counter('crafts_total')` of `crafting` is
 * `weft_crafting_crafts_total`, and every series carries `system="crafting"`.
 */
export class SystemMetrics {
  readonly #system: string;
  readonly #metrics: WeftMetrics;

  constructor(system: string, metrics: WeftMetrics) {
    this.#system = system;
    this.#metrics = metrics;
  }

  /** A counter; its name ends in `_total`. */
  counter<L extends string = never>(name: string, options: SystemInstrumentOptions<L>): SystemCounter<L> {
    const counter: Counter<L | 'system'> = this.#metrics.counter({ ...this.#declared(name, options) });
    return { inc: (labels, value) => counter.inc(this.#with(labels), value ?? 1) };
  }

  /** A gauge. */
  gauge<L extends string = never>(name: string, options: SystemInstrumentOptions<L>): SystemGauge<L> {
    const gauge: Gauge<L | 'system'> = this.#metrics.gauge({ ...this.#declared(name, options) });
    return {
      set: (labels, value) => gauge.set(this.#with(labels), value),
      inc: (labels, value) => gauge.inc(this.#with(labels), value ?? 1),
      dec: (labels, value) => gauge.dec(this.#with(labels), value ?? 1),
    };
  }

  /** A histogram, in milliseconds unless `buckets` says otherwise. */
  histogram<L extends string = never>(
    name: string,
    options: SystemInstrumentOptions<L> & { readonly buckets?: readonly number[] },
  ): SystemHistogram<L> {
    const histogram: Histogram<L | 'system'> = this.#metrics.histogram({
      ...this.#declared(name, options),
      ...(options.buckets === undefined ? {} : { buckets: options.buckets }),
    });
    return { observe: (labels, value) => histogram.observe(this.#with(labels), value) };
  }

  #declared<L extends string>(
    name: string,
    options: SystemInstrumentOptions<L>,
  ): { name: string; help: string; labelNames: Array<L | 'system'> } {
    if (!SHORT_NAME.test(name)) {
      throw new ConfigError(`A metric of ${this.#system} is named in snake_case; received ${JSON.stringify(name)}.`);
    }
    if ((options.labelNames as readonly string[] | undefined)?.includes('system') === true) {
      throw new ConfigError(`Metric ${name} of ${this.#system} may not declare a "system" label: it is set for it.`);
    }
    return {
      name: `weft_${this.#system}_${name}`,
      help: options.help,
      labelNames: [...(options.labelNames ?? []), 'system'],
    };
  }

  #with<L extends string>(labels: Labels<L> | undefined): Partial<Record<L | 'system', string | number>> {
    return { ...labels, system: this.#system } as Partial<Record<L | 'system', string | number>>;
  }
}
