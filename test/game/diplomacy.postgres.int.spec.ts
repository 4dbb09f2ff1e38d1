import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { diplomacyContract } from './diplomacy.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  diplomacyContract('PostgreSQL', { dialect: 'postgres' });
});
