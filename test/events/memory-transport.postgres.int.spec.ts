import { describe } from 'vitest';
import { MemoryTransport } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { transportContract } from './transport.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  transportContract(
    'memory transport on PostgreSQL',
    () => createTestDatabase({ dialect: 'postgres' }),
    (db) => new MemoryTransport({ db, pollIntervalMs: 20, leaseMs: 200 }),
  );
});
