// What the transfer benchmark's three kinds of process tell each other: the driver (transfer.bench.ts), one peer's
// server (transfer-server.ts) and the load generator (transfer-load.ts). Each message is one JSON line.
import type { FastifyInstance } from 'fastify';

/** The peers, in the order one run measures them. */
export const PEERS = ['bare', 'drizzle', 'weft-minimal', 'weft-full', 'bare-postgres', 'weft-full-postgres'] as const;
export type Peer = (typeof PEERS)[number];

/** Accounts seeded on every peer (keynote-2: 10,000); TRANSFER_ACCOUNTS for a quicker check of the bench itself. */
export const ACCOUNTS = Number(process.env.TRANSFER_ACCOUNTS ?? 10_000);
/** Each account's gold at the start: far more than a run moves out of the hottest one, so a 409 stays rare. */
export const STARTING_GOLD = 1_000_000;
/** Gold moved by one transfer. */
export const AMOUNT = 1;
/** Connections to PostgreSQL, for the peers on it (the 16). */
export const POSTGRES_CONNECTIONS = 16;

/**
 * How a peer is called: `plain` is `POST /transfer {from, to, amount}` with account indexes; `game` is the game's
 * `POST /characters/:id/transfer {toCharacterId, gold}` with the owner's bearer token and an Idempotency-Key.
 */
export type RouteKind = 'plain' | 'game';

/** Who the load acts as on a `game` route: the characters by index, the tokens, and which token owns each one. */
export interface GameAccounts {
  readonly characterIds: readonly string[];
  readonly tokens: readonly string[];
  /** For each character, the index in `tokens` of its owner's token. */
  readonly owners: readonly number[];
}

/** Printed by a peer's server once it is seeded and listening. */
export interface ServerReady {
  readonly url: string;
  readonly route: RouteKind;
  /** For a `game` route; a `plain` route names accounts by their index. */
  readonly game?: GameAccounts;
}

/** The peer's own count of its state. */
export interface Counts {
  /** Gold in all the accounts together. */
  readonly total: number;
  /** Accounts below zero. */
  readonly negative: number;
  /** Transfers the peer has recorded (ledger movements, or versions written / 2). */
  readonly recorded: number;
}

/** The server's answer to a `tally` line on its stdin: the peer's counts, once the requests in work are done. */
export interface Tally extends Counts {
  /** Requests still in work when the tally gave up waiting for them (a request that never ends is a failure). */
  readonly stuck: number;
  /** What the peer says of its state when requests are stuck (its connection pool). */
  readonly diagnosis?: string;
}

/** What the load generator is told to do. */
export interface LoadPlan {
  readonly url: string;
  readonly route: RouteKind;
  readonly game?: GameAccounts;
  readonly accounts: number;
  readonly alpha: number;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly measureSeconds: number;
}

/** Answers counted over a run, by kind. */
export interface Answers {
  /** 2xx: transfers done. */
  readonly ok: number;
  /** 409: not enough gold, a normal answer. */
  readonly conflicts: number;
  /** Any other status, by status. */
  readonly other: Readonly<Record<string, number>>;
  /** Socket errors and timeouts. */
  readonly errors: number;
  /** Requests sent but unanswered when the run stopped: the server may or may not have done them. */
  readonly unanswered: number;
}

/** What the load generator reports: the measured part alone, and warm-up and measurement together. */
export interface LoadReport {
  readonly measured: Answers & { readonly seconds: number; readonly p50Ms: number; readonly p99Ms: number };
  readonly total: Answers;
}

/** One peer's server as its process holds it: the app to listen with, its tally, and how to close it. */
export interface PeerServer {
  readonly app: FastifyInstance;
  readonly route: RouteKind;
  readonly game?: GameAccounts;
  tally(): Promise<Counts>;
  /** A line on the peer's internals for a failed check (its connection pool), when it has one. */
  diagnose?(): string;
  close(): Promise<void>;
}
