import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy of one test's own between Weft and a server (PostgreSQL, NATS), to cut the network: `cut()` drops every
 * open connection and turns new ones away at once (the client sees its connections reset and refused, as when a link
 * or a firewall drops them), `heal()` lets connections through again.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #target: { host: string; port: number };
  #cut = false;
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Listens on a free loopback port, forwarding to `host:port`. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const proxy = new TcpProxy({ host, port });
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const address = proxy.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy got no port');
    proxy.#port = address.port;
    return proxy;
  }

  /** The loopback port clients connect to instead of the server's. */
  get port(): number {
    return this.#port;
  }

  /** Whether the network is cut now. */
  get isCut(): boolean {
    return this.#cut;
  }

  /** Drops every open connection and turns new ones away until `heal`. */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Lets connections through again. */
  heal(): void {
    this.#cut = false;
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const upstream = connect(this.#target.port, this.#target.host);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      // A reset on either side ends both: the proxy passes the failure on, it does not hide it.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
