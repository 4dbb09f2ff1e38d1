import { describe } from 'vitest';
import { createTestDatabase } from 'weft/testing';
import { eventsContract } from './events.contract.js';
import { natsAvailableForTests, natsTransportsPerTest } from './nats-test-server.js';

describe.runIf(await natsAvailableForTests())('NATS', () => {
  eventsContract(
    'SQLite file, NATS JetStream transport',
    () => createTestDatabase({ file: true }),
    natsTransportsPerTest(),
  );
});
