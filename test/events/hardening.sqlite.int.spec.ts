import { createTestDatabase } from 'weft/testing';
import { hardeningContract } from './hardening.contract.js';

hardeningContract('SQLite file', (options) =>
  createTestDatabase(options === undefined ? { file: true } : { file: true, options }),
);
