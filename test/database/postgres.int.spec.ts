import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { databaseContract, type Tables } from './database.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  databaseContract('PostgreSQL', (options) => createTestDatabase<Tables>({ dialect: 'postgres', options }), {});
});
