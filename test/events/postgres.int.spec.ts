import { describe } from 'vitest';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';
import { eventsContract } from './events.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  eventsContract('PostgreSQL', () => createTestDatabase({ dialect: 'postgres' }));
});
