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
});
