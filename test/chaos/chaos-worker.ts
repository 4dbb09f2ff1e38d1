import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Settings of one chaos worker process (see worker.ts for what each does). */
export interface ChaosWorkerSettings {
  readonly process: number;
  readonly databaseUrl: string;
  readonly schema: string;
  readonly natsUrl: string;
  readonly stream: string;
  readonly subjectPrefix: string;
  /** Entries this process publishes. */
  readonly publish: number;
  /** Entries a second it publishes at most (0: as fast as it can). */
  readonly rate: number;
  /** Every this many handler calls one throws, and its event dead-letters (0: none). */
  readonly failEvery: number;
  /** Re-drive every dead letter once ready. */
  readonly redrive: boolean;
  /** Called at each `commit` line with the event id; resolves its place in the order the test heard lines. */
  readonly onCommit: (eventId: string) => void;
  /** The next place in the order the test heard `call` and `commit` lines of every worker. */
  readonly heard: () => number;
}

/** A chaos worker (test/chaos/worker.ts) running in a child process, and what it reported on stdout. */
export class ChaosWorker {
  /** Every handler call: its event id, and its place in the order the test heard of calls and commits. */
  readonly calls: Array<{ eventId: string; heard: number }> = [];
  readonly health: Promise<string>;
  readonly ready: Promise<void>;
  readonly redriven: Promise<number>;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  published = 0;
  publishedAll = false;
  #stderr = '';

  constructor(settings: ChaosWorkerSettings) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', 'test/chaos/worker.ts'], {
      env: {
        ...process.env,
        CHAOS_PROCESS: String(settings.process),
        CHAOS_DB_URL: settings.databaseUrl,
        CHAOS_SCHEMA: settings.schema,
        CHAOS_NATS_URL: settings.natsUrl,
        CHAOS_STREAM: settings.stream,
        CHAOS_PREFIX: settings.subjectPrefix,
        CHAOS_PUBLISH: String(settings.publish),
        CHAOS_RATE: String(settings.rate),
        CHAOS_FAIL_EVERY: String(settings.failEvery),
        CHAOS_REDRIVE: settings.redrive ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child.stderr?.on(
      'data',
      (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString()).slice(-20_000)),
    );
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    const failed = this.#exited.then(() => {
      throw new Error(
        `chaos worker ${settings.process} exited early (${String(this.#child.exitCode)}):\n${this.#stderr}`,
      );
    });
    // Read only through ready/health/redriven: an unread rejection is not an error.
    failed.catch(() => undefined);
    let markReady: () => void = () => undefined;
    let markHealth: (url: string) => void = () => undefined;
    let markRedriven: (count: number) => void = () => undefined;
    this.ready = Promise.race([new Promise<void>((resolve) => (markReady = resolve)), failed]);
    this.health = Promise.race([new Promise<string>((resolve) => (markHealth = resolve)), failed]);
    this.redriven = Promise.race([new Promise<number>((resolve) => (markRedriven = resolve)), failed]);
    this.ready.catch(() => undefined);
    this.health.catch(() => undefined);
    this.redriven.catch(() => undefined);
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      const space = line.indexOf(' ');
      const word = space === -1 ? line : line.slice(0, space);
      const rest = space === -1 ? '' : line.slice(space + 1);
      if (word === 'call') this.calls.push({ eventId: rest, heard: settings.heard() });
      else if (word === 'commit') settings.onCommit(rest);
      else if (word === 'published') this.published = Number(rest);
      else if (word === 'published-all') this.publishedAll = true;
      else if (word === 'health') markHealth(rest);
      else if (word === 'ready') markReady();
      else if (word === 'redriven') markRedriven(Number(rest));
    });
  }

  /** The last 20,000 characters it wrote to stderr (its warnings and errors). */
  get stderr(): string {
    return this.#stderr;
  }

  /** Its readiness now: the status code and the status of each check. */
  async readiness(): Promise<{ status: number; checks: Record<string, string> }> {
    const response = await fetch(await this.health).catch((error: unknown) => {
      throw new Error(`the health route of a chaos worker did not answer:\n${this.#stderr.slice(-5000)}`, {
        cause: error,
      });
    });
    const body = (await response.json()) as { checks?: Record<string, { status: string }> };
    return {
      status: response.status,
      checks: Object.fromEntries(Object.entries(body.checks ?? {}).map(([name, check]) => [name, check.status])),
    };
  }

  /** Stops it with SIGTERM (it closes the bus and exits 0), or with SIGKILL after 30 s; resolves once it exited. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const late = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
    await this.#exited;
    clearTimeout(late);
  }

  /** Kills it at once (cleanup after a failed test). */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}
