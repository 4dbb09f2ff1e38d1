import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { authUserContract } from './auth-user.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  authUserContract('PostgreSQL', { dialect: 'postgres' });
});
