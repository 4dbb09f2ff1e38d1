// One peer's server for the transfer benchmark, in a process of its own so that the load generator and the driver
// never share its event loop. `node transfer-server.js <peer> <folder> [postgres-url]`: builds and seeds the peer,
// listens on loopback, prints one ServerReady line, then answers each `tally` line on stdin with a Tally line, and
// closes when stdin ends.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { FastifyInstance } from 'fastify';
import { barePostgresPeer } from './transfer-peers-postgres.js';
import { bareSqlitePeer, drizzleSqlitePeer } from './transfer-peers-sqlite.js';
import { weftFullPeer, weftMinimalPeer } from './transfer-peers-weft.js';
import { PEERS, type Peer, type PeerServer, type ServerReady, type Tally } from './transfer-protocol.js';

const [peerName, folder, postgresUrl] = process.argv.slice(2);
if (!PEERS.includes(peerName as Peer) || folder === undefined) {
  process.stderr.write(`usage: transfer-server <${PEERS.join('|')}> <folder> [postgres-url]\n`);
  process.exit(2);
}
const peer = peerName as Peer;

/** A schema no other run uses. */
const schema = `weft_bench_transfer_${randomBytes(4).toString('hex')}`;

function needPostgres(): string {
  if (postgresUrl === undefined) throw new Error(`${peer} needs a PostgreSQL URL`);
  return postgresUrl;
}

async function open(): Promise<PeerServer> {
  switch (peer) {
    case 'bare':
      return bareSqlitePeer(join(folder ?? '', 'bare.db'));
    case 'drizzle':
      return drizzleSqlitePeer(join(folder ?? '', 'drizzle.db'));
    case 'weft-minimal':
      return weftMinimalPeer(join(folder ?? '', 'weft-minimal.db'));
    case 'weft-full':
      return weftFullPeer({ sqlite: join(folder ?? '', 'weft-full.db') });
    case 'bare-postgres':
      return barePostgresPeer(needPostgres(), schema);
    case 'weft-full-postgres':
      return weftFullPeer({ postgres: needPostgres(), schema });
  }
}

const server = await open();
// A tally waits until the load's connections are closed and no request is in work, so that a transfer cut unanswered
// when the load stopped is counted in this run's tally, never in the next one's. A request whose bytes arrived before
// its connection closed is parsed before the close. A request is in work from onRequest until its reply is sent
// (onSend) or its handler returns (a client that left gets no reply); one whose client leaves before its handler
// starts is not (Fastify may stop its hooks there), unless its handler starts after all.
let inFlight = 0;
const stage = new WeakMap<object, 'hooks' | 'handler' | 'left'>();
const start = (request: object, at: 'hooks' | 'handler') => {
  const now = stage.get(request);
  if (now === undefined || now === 'left') inFlight++;
  stage.set(request, at);
};
const done = (request: object) => {
  const now = stage.get(request);
  if (now === 'hooks' || now === 'handler') inFlight--;
  stage.delete(request);
};
server.app.addHook('onRequest', (request, _reply, next) => {
  start(request, 'hooks');
  next();
});
server.app.addHook('onRequestAbort', (request, next) => {
  if (stage.get(request) === 'hooks') {
    inFlight--;
    stage.set(request, 'left');
  }
  next();
});
server.app.addHook('onSend', (request, _reply, payload, next) => {
  done(request);
  next(null, payload);
});
server.app.addHook('onRoute', (route) => {
  const handler = route.handler;
  route.handler = async function (this: FastifyInstance, request, reply) {
    start(request, 'handler');
    try {
      return await handler.call(this, request, reply);
    } finally {
      done(request);
    }
  };
});
const openConnections = () =>
  new Promise<number>((resolve, reject) =>
    server.app.server.getConnections((error, count) => (error === null ? resolve(count) : reject(error))),
  );
/** How long a tally waits for the requests in work; TRANSFER_TALLY_WAIT_S to change. */
const TALLY_WAIT_MS = Number(process.env.TRANSFER_TALLY_WAIT_S ?? 30) * 1000;

/** Waits until no request is in work and no connection is open, or TALLY_WAIT_MS; resolves to the requests in work. */
async function quiet(): Promise<number> {
  const until = Date.now() + TALLY_WAIT_MS;
  while ((inFlight > 0 || (await openConnections()) > 0) && Date.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 10));
  return inFlight;
}

async function tally(): Promise<Tally> {
  const stuck = await quiet();
  const counted = await server.tally();
  const diagnosis = stuck > 0 ? server.diagnose?.() : undefined;
  return { ...counted, stuck, ...(diagnosis === undefined ? {} : { diagnosis }) };
}

const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
const ready: ServerReady = { url, route: server.route, ...(server.game === undefined ? {} : { game: server.game }) };
// A profiled run (TRANSFER_CPU_PROF) notes when the seed ended, on the profile's clock (transfer-profile.ts reads it).
const profileFolder = process.env.TRANSFER_CPU_PROF;
if (profileFolder !== undefined) {
  const readyMicros = Number(process.hrtime.bigint() / 1000n);
  // Node makes the profile's folder only when it writes the profile, at exit.
  mkdirSync(profileFolder, { recursive: true });
  writeFileSync(join(profileFolder, `ready-${process.pid}.json`), JSON.stringify({ readyMicros }));
}
process.stdout.write(`${JSON.stringify(ready)}\n`);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line !== 'tally') {
    process.stderr.write(`transfer-server: unknown request ${JSON.stringify(line)}\n`);
    return;
  }
  tally().then(
    (tally) => process.stdout.write(`${JSON.stringify(tally)}\n`),
    (error: unknown) => {
      process.stderr.write(
        `transfer-server: the tally failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(1);
    },
  );
});
lines.on('close', () => {
  void (async () => {
    await server.app.close();
    await server.close();
    process.exit(0);
  })();
});
