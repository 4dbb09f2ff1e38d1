import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { httpRefusalsContract } from './http-refusals.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  httpRefusalsContract('PostgreSQL', { dialect: 'postgres' });
});
