/** An event as it travels and is stored: CloudEvents-like, with Weft's names. */
export interface EventEnvelope<Type extends string = string, Data = unknown> {
  /** UUIDv7: sorts by creation time. */
  readonly id: string;
  readonly type: Type;
  readonly version: number;
  /** The system that published it. */
  readonly source: string;
  /** ISO time of publication. */
  readonly time: string;
  readonly partitionKey: string | undefined;
  readonly correlationId: string;
  /** The id of the event (or request) that caused this one. */
  readonly causationId: string | undefined;
  /** W3C traceparent of the publishing span. */
  readonly traceparent: string | undefined;
  readonly data: Data;
}

let lastIsoMs = 0;
let lastIso = '';

/**
 * The current time as ISO text for an envelope, formatted at most once per millisecond (formatting costs more than a
 * small event).
 */
export function envelopeTime(): string {
  const now = Date.now();
  if (now !== lastIsoMs) {
    lastIsoMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/** An envelope with its place in the event log: what transports hand to the delivery engine. */
export interface LoggedEvent {
  /** Its global sequence number in the log (the outbox); log order is the order of these. */
  readonly seq: number;
  readonly envelope: EventEnvelope;
}
