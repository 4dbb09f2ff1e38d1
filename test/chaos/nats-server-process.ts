import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/** The NATS server binary of the machine (Debian's package). */
export const NATS_SERVER = '/usr/sbin/nats-server';

/**
 * A `nats-server` of one test's own (JetStream, its own store directory, a free loopback port), which the test may
 * kill with SIGKILL and start again on the same port and store: the machine's shared server is never touched.
 */
export class NatsServerProcess {
  readonly port: number;
  readonly storeDir: string;
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(port: number, storeDir: string) {
    this.port = port;
    this.storeDir = storeDir;
  }

  /** Starts a server on a free port with a fresh store directory; resolves once it accepts connections. */
  static async start(): Promise<NatsServerProcess> {
    const server = new NatsServerProcess(await freePort(), await mkdtemp(join(tmpdir(), 'weft-chaos-nats-')));
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** What the server printed (its log), for failure messages. */
  get output(): string {
    return this.#output;
  }

  /** Starts the server again on the same port and store directory; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) throw new Error('the NATS server of this test is running already');
    const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (this.#output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.#output += chunk.toString()));
    this.#child = child;
    for (const until = Date.now() + 20_000; ; await sleep(50)) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}:\n${this.#output}`);
      if (await accepts(this.port)) return;
      if (Date.now() > until) throw new Error(`nats-server did not listen on ${this.port} in 20 s:\n${this.#output}`);
    }
  }

  /** Kills the server with SIGKILL (no flush, no goodbye to clients); resolves once it exited. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills the server and removes its store directory. */
  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

/** Whether something accepts a TCP connection on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
