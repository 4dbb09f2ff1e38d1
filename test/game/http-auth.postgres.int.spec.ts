import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { httpAuthContract } from './http-auth.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  httpAuthContract('PostgreSQL', { dialect: 'postgres' });
});
