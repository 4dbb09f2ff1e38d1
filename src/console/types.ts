// The shapes the console reads from the admin routes (docs/game.md). Written here rather than imported:
// the console is a browser app and imports no server code.

/** An event as the log holds it. */
export interface Envelope {
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly source: string;
  readonly time: string;
  readonly partitionKey?: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly data: unknown;
}

/** One event of the live stream: its log position and envelope. */
export interface StreamedEvent {
  readonly seq: number;
  readonly envelope: Envelope;
}

/** A node of `GET /admin/trace/:correlationId`. */
export interface TracedEvent {
  readonly id: string;
  readonly seq: number;
  readonly type: string;
  readonly source: string;
  readonly time: string;
  readonly causationId?: string;
  readonly data: unknown;
  readonly handlers: ReadonlyArray<{ readonly subscription: string; readonly outcome: string }>;
  readonly caused: readonly TracedEvent[];
}

/** One state version a traced action wrote. */
export interface StateChange {
  readonly system: string;
  readonly key: string;
  readonly version: number;
  readonly kind: string;
  readonly value: unknown;
  readonly patch: unknown;
  readonly transactionId: string;
  readonly changedAt: string;
}

export interface Trace {
  readonly correlationId: string;
  readonly events: readonly TracedEvent[];
  readonly eventCount: number;
  readonly stateChanges: readonly StateChange[];
  readonly truncated: boolean;
}

export interface Slice {
  readonly slice: string;
  readonly entries: number;
  readonly lastChangeAt?: string;
  readonly lastVersion?: number;
  readonly changesLastMinute: number;
  readonly callbacksFailing: number;
  readonly deadLetters: number;
}

export interface Subscription {
  readonly name: string;
  readonly pattern: string;
  /** It declares a reset: an operator may replay it from the start of the log. */
  readonly replayable: boolean;
  readonly undelivered: number;
  readonly lagMs: number;
  readonly deadLetters: number;
  readonly failures: number;
}

export interface Systems {
  readonly health: 'ok' | 'degraded';
  readonly systems: ReadonlyArray<{
    readonly name: string;
    readonly slices: readonly Slice[];
    readonly subscriptions: readonly Subscription[];
  }>;
}

export type RuleState = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface AlertRule {
  readonly name: string;
  readonly severity: string;
  readonly summary: string;
  readonly state: RuleState;
  readonly since: string;
  readonly lastValue?: number;
  readonly history: ReadonlyArray<{ readonly from: RuleState; readonly to: RuleState; readonly at: string }>;
}

export interface DeadLetter {
  readonly id: string;
  readonly subscription: string;
  readonly eventId: string;
  readonly type: string;
  readonly envelope: Envelope;
  readonly error: string;
  readonly attempts: number;
  readonly correlationId: string;
  readonly createdAt: string;
}

export interface EconomyHour {
  readonly hour: string;
  readonly supply: number;
  readonly sources: Readonly<Record<string, number>>;
  readonly sinks: Readonly<Record<string, number>>;
}

export interface Audit {
  readonly balanced: boolean;
  readonly wallets: number;
  readonly ledgerSum: number;
  readonly mismatches: ReadonlyArray<{
    readonly characterId: string;
    readonly wallet: number;
    readonly ledger: number;
  }>;
}

export interface ThroughputSample {
  readonly at: string;
  readonly eventsPerSecond: number;
  readonly deliveriesPerSecond: number;
  readonly deliveryLagMs: number;
  readonly handlerP99Ms?: number;
}
