import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * Counts the client's waits for the server between Weft and PostgreSQL: each simple query (`Q`) and each Sync (`S`)
 * of the extended protocol is answered by one ReadyForQuery, and the client waits for it before sending more.
 */
export class RoundTripCounter {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  count = 0;

  private constructor(target: URL) {
    this.#server = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => (client.destroy(), upstream.destroy()));
      }
      let pending = Buffer.alloc(0);
      let started = false;
      client.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        // The startup message has no type byte; every later one is a type byte and a length that counts itself.
        for (;;) {
          const header = started ? 5 : 4;
          if (pending.length < header) break;
          const length = started ? pending.readInt32BE(1) + 1 : pending.readInt32BE(0);
          if (pending.length < length) break;
          if (started && (pending[0] === 0x51 || pending[0] === 0x53)) this.count++;
          pending = pending.subarray(length);
          started = true;
        }
      });
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  static async start(target: URL): Promise<{ counter: RoundTripCounter; port: number }> {
    const counter = new RoundTripCounter(target);
    await new Promise<void>((resolve) => counter.#server.listen(0, '127.0.0.1', resolve));
    const address = counter.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the counter got no port');
    return { counter, port: address.port };
  }

  /** Round trips `work` makes (with nothing else using the proxy meanwhile). */
  async roundTripsOf(work: () => Promise<unknown>): Promise<number> {
    const before = this.count;
    await work();
    return this.count - before;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
