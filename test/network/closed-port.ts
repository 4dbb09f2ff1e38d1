import { createServer, type AddressInfo } from 'node:net';

/**
 * A loopback port nothing listens on: one the system just gave out and took back. (Port 1 was not: a program on the
 * machine listening there once answered CI's connection and ended it.)
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
