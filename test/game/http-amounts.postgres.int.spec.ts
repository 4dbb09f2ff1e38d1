import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { httpAmountsContract } from './http-amounts.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  httpAmountsContract('PostgreSQL', { dialect: 'postgres' });
});
