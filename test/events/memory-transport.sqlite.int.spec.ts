import { MemoryTransport } from 'weft/internal';
import { createTestDatabase } from 'weft/testing';
import { transportContract } from './transport.contract.js';

transportContract(
  'memory transport on a SQLite file',
  () => createTestDatabase({ file: true }),
  (db) => new MemoryTransport({ db, pollIntervalMs: 20, leaseMs: 200 }),
);
