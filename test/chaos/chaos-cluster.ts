import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { postgresTestUrl } from 'weft/testing';
import { ChaosWorker } from './chaos-worker.js';
import { NatsServerProcess } from './nats-server-process.js';
import { TcpProxy } from './tcp-proxy.js';

/** How a chaos cluster is made. */
export interface ChaosClusterOptions {
  /** Worker processes. */
  readonly workers: number;
  /** Entries each worker publishes. */
  readonly perWorker: number;
  /** Entries a second each worker publishes at most (0: as fast as it can). */
  readonly rate?: number;
  /** Every this many handler calls of a worker one throws, and its event dead-letters (0: none). */
  readonly failEvery?: number;
  /** Put a TCP proxy of the test's own between the workers and NATS, PostgreSQL, or both, to cut them off. */
  readonly proxied?: ReadonlyArray<'nats' | 'postgres'>;
}

/** One event of the log, one effect row: what the books are checked against. */
export interface Books {
  /** The ledger entries of the event log, in log order. */
  readonly log: ReadonlyArray<{ id: string; seq: number; account: string; publishedAt: number }>;
  /** Effect rows in commit order. */
  readonly effects: ReadonlyArray<{ eventId: string; account: string; n: number }>;
  /** Event ids of the dead letters, with their attempts. */
  readonly deadLetters: ReadonlyArray<{ eventId: string; attempts: number }>;
}

/**
 * Worker processes of Weft on the NATS transport, on a PostgreSQL schema and a nats-server of this test's own
 * (optionally behind TCP proxies to cut): starts them, counts what they report, reads the books, and removes it all.
 */
export class ChaosCluster {
  readonly nats: NatsServerProcess;
  readonly natsProxy: TcpProxy | undefined;
  readonly postgresProxy: TcpProxy | undefined;
  readonly schema = `weft_chaos_${randomBytes(4).toString('hex')}`;
  readonly workers: ChaosWorker[] = [];
  /** Commit lines per event id, across every worker: how many, where the first came in the order heard, and when. */
  readonly commits = new Map<string, { count: number; heard: number; at: number }>();
  /** The test's clock at each commit line, in the order heard. */
  readonly commitTimes: number[] = [];
  #heard = 0;
  readonly #options: ChaosClusterOptions;
  readonly #names = { stream: `CHAOS_${randomBytes(4).toString('hex')}`, subjectPrefix: 'chaos.events' };

  private constructor(
    options: ChaosClusterOptions,
    nats: NatsServerProcess,
    proxies: Partial<Record<string, TcpProxy>>,
  ) {
    this.#options = options;
    this.nats = nats;
    this.natsProxy = proxies.nats;
    this.postgresProxy = proxies.postgres;
  }

  /** Starts the NATS server, the proxies asked for and the workers (the first alone: it migrates), all ready. */
  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const nats = await NatsServerProcess.start();
    const proxies: Partial<Record<string, TcpProxy>> = {};
    const postgres = new URL(postgresTestUrl());
    if (options.proxied?.includes('nats') === true) proxies.nats = await TcpProxy.start('127.0.0.1', nats.port);
    if (options.proxied?.includes('postgres') === true)
      proxies.postgres = await TcpProxy.start(postgres.hostname, Number(postgres.port || 5432));
    const cluster = new ChaosCluster(options, nats, proxies);
    await cluster.#admin(`create schema ${cluster.schema}`);
    try {
      await cluster.addWorker({ publish: options.perWorker }).ready;
      const rest = Array.from({ length: options.workers - 1 }, () => cluster.addWorker({ publish: options.perWorker }));
      await Promise.all(rest.map((worker) => worker.ready));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Entries published in all: what the log must end with. */
  get total(): number {
    return this.#options.workers * this.#options.perWorker;
  }

  /** Distinct events whose handler effect committed, by the workers' reports. */
  get committed(): number {
    return this.commits.size;
  }

  /** Handler calls of every worker started. */
  get calls(): Array<{ eventId: string; heard: number }> {
    return this.workers.flatMap((worker) => worker.calls);
  }

  /** Starts one more worker (another process of the same deployment). */
  addWorker(overrides: { publish?: number; failEvery?: number; redrive?: boolean } = {}): ChaosWorker {
    const postgres = new URL(postgresTestUrl());
    if (this.postgresProxy !== undefined) {
      postgres.hostname = '127.0.0.1';
      postgres.port = String(this.postgresProxy.port);
    }
    const worker = new ChaosWorker({
      process: this.workers.length,
      databaseUrl: postgres.toString(),
      schema: this.schema,
      natsUrl: this.natsProxy === undefined ? this.nats.url : `nats://127.0.0.1:${this.natsProxy.port}`,
      ...this.#names,
      publish: overrides.publish ?? 0,
      rate: this.#options.rate ?? 0,
      failEvery: overrides.failEvery ?? this.#options.failEvery ?? 0,
      redrive: overrides.redrive ?? false,
      heard: () => this.#heard++,
      onCommit: (id) => {
        const heard = this.#heard++;
        const seen = this.commits.get(id);
        const at = Date.now();
        this.commits.set(id, { count: (seen?.count ?? 0) + 1, heard: seen?.heard ?? heard, at: seen?.at ?? at });
        this.commitTimes.push(at);
      },
    });
    this.workers.push(worker);
    return worker;
  }

  /** Whether every worker started has published all its entries. */
  publishedAll(): boolean {
    return this.workers.every((worker) => worker.publishedAll);
  }

  /** Entries published so far, by the workers' reports. */
  published(): number {
    return this.workers.reduce((sum, worker) => sum + worker.published, 0);
  }

  /** Resolves once `done` answers true, checking every 20 ms; fails naming `what` after `timeoutMs`. */
  async until(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
    for (const end = Date.now() + timeoutMs; !(await done()); await sleep(20)) {
      if (Date.now() > end) {
        const tails = this.workers.map((worker, n) => `--- worker ${n} stderr:\n${worker.stderr.slice(-3000)}`);
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what} (committed ${this.committed} of ${this.total}, ` +
            `published ${this.published()})\n${tails.join('\n')}`,
        );
      }
    }
  }

  /** Reads the event log, the effects and the dead letters straight from PostgreSQL (never through a proxy). */
  async books(): Promise<Books> {
    const client = new pg.Client({ connectionString: postgresTestUrl() });
    await client.connect();
    try {
      const log = await client.query<{ id: string; seq: string; partition_key: string; time: string }>(
        `select id, seq, partition_key, time from ${this.schema}.weft_event_log ` +
          `where type = 'ledger.entry_posted' order by seq`,
      );
      const effects = await client.query<{ event_id: string; account: string; n: number }>(
        `select event_id, account, n from ${this.schema}.chaos_effects order by applied`,
      );
      const letters = await client.query<{ event_id: string; attempts: number }>(
        `select event_id, attempts from ${this.schema}.weft_dead_letters`,
      );
      return {
        log: log.rows.map((row) => ({
          id: row.id,
          seq: Number(row.seq),
          account: row.partition_key,
          publishedAt: Date.parse(row.time),
        })),
        effects: effects.rows.map((row) => ({ eventId: row.event_id, account: row.account, n: row.n })),
        deadLetters: letters.rows.map((row) => ({ eventId: row.event_id, attempts: row.attempts })),
      };
    } finally {
      await client.end();
    }
  }

  /** How many dead letters there are now. */
  deadLetterCount(): Promise<number> {
    return this.#count(`select count(*) from ${this.schema}.weft_dead_letters`);
  }

  /**
   * How many events have an effect row now. Read from the database, not from commit lines: a commit whose answer the
   * cut network lost did commit, and is never reported (its redelivery meets the inbox).
   */
  appliedCount(): Promise<number> {
    return this.#count(`select count(distinct event_id) from ${this.schema}.chaos_effects`);
  }

  /** Resolves once every published event has an effect row, checking every 200 ms. */
  async untilAllApplied(timeoutMs: number): Promise<void> {
    await this.until(
      'every event applied',
      async () => {
        // Every 200 ms while events are still coming in: the count reads the effects table.
        if (this.committed < this.total) await sleep(180);
        return (await this.appliedCount()) >= this.total;
      },
      timeoutMs,
    );
  }

  async #count(query: string): Promise<number> {
    const client = new pg.Client({ connectionString: postgresTestUrl() });
    await client.connect();
    try {
      const result = await client.query<{ count: string }>(query);
      return Number(result.rows[0]?.count ?? 0);
    } finally {
      await client.end();
    }
  }

  /** Stops the workers (SIGTERM), then removes the NATS server, the proxies and the schema. */
  async close(): Promise<void> {
    this.natsProxy?.heal();
    this.postgresProxy?.heal();
    await Promise.all(this.workers.map((worker) => worker.stop()));
    await this.natsProxy?.close();
    await this.postgresProxy?.close();
    await this.nats.dispose();
    await this.#admin(`drop schema if exists ${this.schema} cascade`);
  }

  async #admin(statement: string): Promise<void> {
    const client = new pg.Client({ connectionString: postgresTestUrl() });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  }
}
