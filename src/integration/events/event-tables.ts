import type { ColumnType, Generated } from 'kysely';

/** The tables of the events part, for Kysely's types. */
export interface EventTables {
  weft_event_log: {
    seq: Generated<number>;
    id: string;
    type: string;
    version: number;
    source: string;
    time: string;
    partition_key: string | null;
    correlation_id: string;
    causation_id: string | null;
    traceparent: string | null;
    data: string;
  };
  weft_event_cursors: {
    subscription: string;
    seq: number;
    updated_at: string;
    /** The process (stream) holding the subscription's lease; null when free. See SubscriptionLease. */
    holder: ColumnType<string | null, string | null | undefined, string | null>;
    /** Bumped by each claim, so a former holder's writes are refused. */
    epoch: ColumnType<number, number | undefined, number>;
    /** When the lease runs out, in milliseconds since the epoch. */
    lease_until: ColumnType<number, number | undefined, number>;
  };
  weft_event_inbox: { subscription: string; event_id: string; handled_at: string };
  weft_dead_letters: {
    id: string;
    subscription: string;
    event_id: string;
    event_seq: number;
    type: string;
    envelope: string;
    error: string;
    attempts: number;
    correlation_id: string;
    created_at: string;
  };
}
