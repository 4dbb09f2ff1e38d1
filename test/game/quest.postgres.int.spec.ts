import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { questContract } from './quest.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  questContract('PostgreSQL', { dialect: 'postgres' });
});
