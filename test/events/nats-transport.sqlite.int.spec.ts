import { describe } from 'vitest';
import { createTestDatabase } from 'weft/testing';
import { natsAvailableForTests, natsTransportsPerTest } from './nats-test-server.js';
import { transportContract } from './transport.contract.js';

describe.runIf(await natsAvailableForTests())('NATS', () => {
  transportContract(
    'NATS JetStream transport on a SQLite file',
    () => createTestDatabase({ file: true }),
    natsTransportsPerTest(),
  );
  // Batches of three: a relay pass publishes many rounds, reading the next while the stream confirms the one before.
  transportContract(
    'NATS JetStream transport on a SQLite file, relaying three events a round',
    () => createTestDatabase({ file: true }),
    natsTransportsPerTest({ relayBatch: 3 }),
  );
});
