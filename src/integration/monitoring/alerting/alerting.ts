import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ConfigError } from '../../errors/index.js';
import type { WeftMetrics } from '../metrics.js';
import { compare, compileRule, type AlertRule, type CompiledRule, type Severity } from './alert-rule.js';
import type { Alert, AlertChannel } from './channels.js';
import { aggregateOf, readSample, type Sample } from './metric-window.js';

/** Where a rule stands. */
export type RuleState = 'inactive' | 'pending' | 'firing' | 'resolved';

/** One recorded change of a rule's state. */
export interface Transition {
  readonly from: RuleState;
  readonly to: RuleState;
  /** ISO time. */
  readonly at: string;
  readonly value: number | undefined;
}

/** A rule as `GET /alerts` shows it. */
export interface RuleStatus {
  readonly name: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly state: RuleState;
  /** ISO time of the last transition. */
  readonly since: string;
  readonly lastValue: number | undefined;
  readonly history: readonly Transition[];
}

/** Which channels get which alerts; an alert goes to every channel of every route it matches. */
export interface AlertRoute {
  readonly severity?: readonly Severity[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly channels: readonly string[];
}

/** Stops notifications of a rule (and labels) until a time; the rule's state is still tracked. */
export interface Silence {
  readonly rule: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Epoch milliseconds. */
  readonly until: number;
}

/** A clock the tests can move by hand. */
export interface Clock {
  now(): number;
}

/** Options of the alert engine. */
export interface AlertingOptions {
  readonly metrics: WeftMetrics;
  readonly logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  readonly channels?: readonly AlertChannel[];
  /** Without routes, every alert goes to every channel. */
  readonly routes?: readonly AlertRoute[];
  readonly clock?: Clock;
  /** How often `start()` evaluates. Default 15 s. */
  readonly intervalMs?: number;
  /** Transitions kept per rule. Default 50. */
  readonly historySize?: number;
}

interface RuleTrack {
  readonly rule: CompiledRule;
  samples: Sample[];
  state: RuleState;
  since: number;
  pendingSince: number | undefined;
  clearSince: number | undefined;
  lastValue: number | undefined;
  firedAt: number | undefined;
  history: Transition[];
}

/**
 * Alert rules on metrics, evaluated on an interval: inactive -> pending -> firing -> resolved, with
 * `for` and a resolve delay; notifications routed to channels by severity and labels, minus silences.
 */
export class Alerting {
  readonly #metrics: WeftMetrics;
  readonly #logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  readonly #channels = new Map<string, AlertChannel>();
  readonly #routes: readonly AlertRoute[];
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #historySize: number;
  readonly #rules = new Map<string, RuleTrack>();
  readonly #latest = new Map<string, Alert>();
  readonly #silences = new Map<number, Silence>();
  readonly #inFlight = new Set<Promise<void>>();
  #nextSilence = 1;
  #timer: NodeJS.Timeout | undefined;
  #evaluating: Promise<void> | undefined;

  constructor(options: AlertingOptions) {
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#routes = options.routes ?? [];
    this.#clock = options.clock ?? Date;
    this.#intervalMs = options.intervalMs ?? 15_000;
    this.#historySize = options.historySize ?? 50;
    for (const channel of options.channels ?? []) this.addChannel(channel);
  }

  /** Adds a channel; a name used twice is an error. */
  addChannel(channel: AlertChannel): void {
    if (this.#channels.has(channel.name))
      throw new ConfigError(`An alert channel named "${channel.name}" exists already.`);
    this.#channels.set(channel.name, channel);
  }

  /** Adds a rule; a name used twice is an error. */
  addRule(rule: AlertRule): void {
    const compiled = compileRule(rule);
    if (this.#rules.has(compiled.name)) throw new ConfigError(`An alert rule named "${compiled.name}" exists already.`);
    const now = this.#clock.now();
    this.#rules.set(compiled.name, {
      rule: compiled,
      samples: [],
      state: 'inactive',
      since: now,
      pendingSince: undefined,
      clearSince: undefined,
      lastValue: undefined,
      firedAt: undefined,
      history: [],
    });
  }

  /** Adds the rules of a JSON file holding an array of rules. */
  async loadRules(path: string): Promise<void> {
    let rules: unknown;
    try {
      rules = JSON.parse(await readFile(path, 'utf8'));
    } catch (cause) {
      throw new ConfigError(
        `Cannot read alert rules from ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    if (!Array.isArray(rules)) throw new ConfigError(`${path} must hold a JSON array of alert rules.`);
    for (const rule of rules) this.addRule(rule as AlertRule);
  }

  /** Silences a rule (optionally only alerts with these labels) until `until`; returns the silence's id. */
  silence(silence: Silence): number {
    const id = this.#nextSilence++;
    this.#silences.set(id, silence);
    return id;
  }

  unsilence(id: number): void {
    this.#silences.delete(id);
  }

  /** Evaluates every rule once, now. Concurrent calls share one evaluation. */
  evaluate(): Promise<void> {
    this.#evaluating ??= this.#evaluateAll().finally(() => {
      this.#evaluating = undefined;
    });
    return this.#evaluating;
  }

  /** Evaluates every `intervalMs` until `stop()`. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.evaluate().catch((error: unknown) => this.#logger.error({ err: error }, 'alert evaluation failed'));
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops evaluating and waits for notifications on their way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Waits for every notification on its way (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Raises an alert by hand (the seed's `alert`), through the same routing and silences. */
  alert(
    name: string,
    summary: string,
    options: { severity?: Severity; labels?: Readonly<Record<string, string>> } = {},
  ): Alert {
    const alert: Alert = {
      name,
      state: 'firing',
      severity: options.severity ?? 'warning',
      summary,
      labels: options.labels ?? {},
      firedAt: new Date(this.#clock.now()).toISOString(),
    };
    this.#notify(alert);
    return alert;
  }

  /** The latest alert of that name, firing or resolved. */
  getAlert(name: string): Alert | undefined {
    return this.#latest.get(name);
  }

  /** Every rule with its state, last value and since when: what `GET /alerts` shows. */
  list(): RuleStatus[] {
    return [...this.#rules.values()].map((track) => ({
      name: track.rule.name,
      severity: track.rule.severity,
      summary: track.rule.summary,
      state: track.state,
      since: new Date(track.since).toISOString(),
      lastValue: track.lastValue,
      history: [...track.history],
    }));
  }

  async #evaluateAll(): Promise<void> {
    const now = this.#clock.now();
    for (const track of this.#rules.values()) {
      const sample = await readSample(this.#metrics.registry, track.rule, now);
      if (sample !== undefined) {
        track.samples.push(sample);
        // Keep one sample older than the window: the window's baseline.
        while (track.samples.length > 2 && (track.samples[1]?.time ?? now) <= now - track.rule.windowMs)
          track.samples.shift();
      }
      const value = aggregateOf(track.rule, track.samples);
      track.lastValue = value;
      this.#step(track, value !== undefined && compare(value, track.rule.op, track.rule.threshold), now);
    }
  }

  #step(track: RuleTrack, holds: boolean, now: number): void {
    const { rule } = track;
    switch (track.state) {
      case 'inactive':
      case 'resolved':
        if (!holds) return;
        track.pendingSince = now;
        this.#move(track, 'pending', now);
        if (rule.forMs === 0) this.#fire(track, now);
        return;
      case 'pending':
        if (!holds) this.#move(track, 'inactive', now);
        else if (now - (track.pendingSince ?? now) >= rule.forMs) this.#fire(track, now);
        return;
      case 'firing':
        if (holds) {
          track.clearSince = undefined;
          return;
        }
        track.clearSince ??= now;
        if (now - track.clearSince >= rule.resolveAfterMs) {
          this.#move(track, 'resolved', now);
          track.clearSince = undefined;
          this.#notify(this.#alertOf(track, 'resolved', now));
        }
        return;
    }
  }

  #fire(track: RuleTrack, now: number): void {
    track.firedAt = now;
    this.#move(track, 'firing', now);
    this.#notify(this.#alertOf(track, 'firing', now));
  }

  #move(track: RuleTrack, to: RuleState, now: number): void {
    track.history.push({ from: track.state, to, at: new Date(now).toISOString(), value: track.lastValue });
    if (track.history.length > this.#historySize) track.history.shift();
    track.state = to;
    track.since = now;
  }

  #alertOf(track: RuleTrack, state: 'firing' | 'resolved', now: number): Alert {
    const { rule } = track;
    return {
      name: rule.name,
      state,
      severity: rule.severity,
      summary: rule.summary,
      ...(track.lastValue === undefined ? {} : { value: track.lastValue }),
      labels: rule.labels ?? {},
      firedAt: new Date(track.firedAt ?? now).toISOString(),
      ...(state === 'resolved' ? { resolvedAt: new Date(now).toISOString() } : {}),
    };
  }

  #notify(alert: Alert): void {
    this.#latest.set(alert.name, alert);
    const now = this.#clock.now();
    for (const [id, silence] of this.#silences) {
      if (silence.until <= now) this.#silences.delete(id);
      else if (silence.rule === alert.name && labelsMatch(alert.labels, silence.labels)) return;
    }
    for (const channel of this.#routed(alert)) {
      // Never awaited by evaluation: a slow webhook must not hold up the other rules.
      const sending = Promise.resolve()
        .then(() => channel.send(alert))
        .catch((error: unknown) => {
          this.#metrics.alertChannelFailures.inc({ channel: channel.name });
          this.#logger.error({ err: error, channel: channel.name, alert: alert.name }, 'alert channel failed');
        })
        .finally(() => this.#inFlight.delete(sending));
      this.#inFlight.add(sending);
    }
  }

  #routed(alert: Alert): AlertChannel[] {
    if (this.#routes.length === 0) return [...this.#channels.values()];
    const names = new Set<string>();
    for (const route of this.#routes) {
      if (route.severity !== undefined && !route.severity.includes(alert.severity)) continue;
      if (!labelsMatch(alert.labels, route.labels)) continue;
      for (const name of route.channels) names.add(name);
    }
    return [...names].flatMap((name) => {
      const channel = this.#channels.get(name);
      if (channel === undefined) this.#logger.warn({ channel: name }, 'alert route names an unknown channel');
      return channel === undefined ? [] : [channel];
    });
  }
}

function labelsMatch(
  labels: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>> | undefined,
): boolean {
  if (wanted === undefined) return true;
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}
