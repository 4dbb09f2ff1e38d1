import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { httpScenariosContract } from './http-scenarios.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  httpScenariosContract('PostgreSQL', { dialect: 'postgres' });
});
