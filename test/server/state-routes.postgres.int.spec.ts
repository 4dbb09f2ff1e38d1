import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { stateRoutesContract } from './state-routes.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  stateRoutesContract('PostgreSQL', { dialect: 'postgres' });
});
