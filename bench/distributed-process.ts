import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SETTINGS_VARIABLE, type FromParent, type ToParent, type WorkerSettings } from './distributed-protocol.js';

/** One worker process of the distributed benchmark, spoken to over its IPC channel. */
export class WorkerProcess {
  /** Resolves once the worker has subscribed and is ready to publish. */
  readonly ready: Promise<void>;
  /** Events its handlers were called for, as last reported (every 50 ms). */
  handled = 0;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  /** Who waits for the next message of each kind. */
  readonly #waiting = new Map<ToParent['kind'], { resolve: (message: ToParent) => void; reject: (e: Error) => void }>();
  #failure: Error | undefined;

  /** Forks the worker (compiled next to this file) with its settings. */
  static start(settings: WorkerSettings): WorkerProcess {
    return new WorkerProcess(settings);
  }

  private constructor(settings: WorkerSettings) {
    this.#child = fork(fileURLToPath(new URL('./distributed-worker.js', import.meta.url)), {
      env: { ...process.env, [SETTINGS_VARIABLE]: JSON.stringify(settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.once('exit', (code, signal) => {
      if (code !== 0) this.#fail(new Error(`Worker ${settings.index} exited (${signal ?? `exit ${code}`}).`));
    });
    this.#child.on('message', (message: ToParent) => {
      if (message.kind === 'handled') this.handled = message.count;
      else if (message.kind === 'failed') this.#fail(new Error(`Worker ${settings.index}: ${message.error}`));
      const waiting = this.#waiting.get(message.kind);
      this.#waiting.delete(message.kind);
      waiting?.resolve(message);
    });
    this.ready = this.#next('ready').then(() => undefined);
  }

  /** Has the worker publish events `from` to `from + count - 1`; resolves once all committed. */
  async publish(from: number, count: number): Promise<void> {
    const published = this.#next('published');
    this.#send({ kind: 'publish', from, count });
    await published;
  }

  /** Resolves once the workers together have had `expected` handler calls. */
  async handledAtLeast(all: readonly WorkerProcess[], expected: number): Promise<void> {
    while (all.reduce((sum, worker) => sum + worker.handled, 0) < expected) await this.#next('handled');
  }

  /** The commit and handler times recorded since the last collection. */
  async collect(): Promise<{ committed: number[]; handled: number[] }> {
    const figures = this.#next('figures');
    this.#send({ kind: 'collect' });
    const message = await figures;
    if (message.kind !== 'figures') throw new Error(`Expected figures, received ${message.kind}.`);
    return message;
  }

  /** Has the worker close its integration and exit; resolves once it exited. */
  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.connected) this.#send({ kind: 'close' });
    await this.#exited;
  }

  #send(message: FromParent): void {
    this.#child.send(message);
  }

  /** The next message of `kind`; rejects once the worker failed or exited. */
  #next(kind: ToParent['kind']): Promise<ToParent> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#waiting.set(kind, { resolve, reject }));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
