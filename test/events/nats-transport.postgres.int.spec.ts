import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { natsAvailableForTests, natsTransportsPerTest } from './nats-test-server.js';
import { transportContract } from './transport.contract.js';

describe.runIf((await natsAvailableForTests()) && (await postgresAvailableForTests()))('NATS and PostgreSQL', () => {
  transportContract(
    'NATS JetStream transport on PostgreSQL',
    () => createTestDatabase({ dialect: 'postgres' }),
    natsTransportsPerTest(),
  );
  // Batches of three: a relay pass publishes many rounds, reading the next while the stream confirms the one before.
  transportContract(
    'NATS JetStream transport on PostgreSQL, relaying three events a round',
    () => createTestDatabase({ dialect: 'postgres' }),
    natsTransportsPerTest({ relayBatch: 3 }),
  );
});
