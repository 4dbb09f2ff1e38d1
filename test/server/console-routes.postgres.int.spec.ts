import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { consoleRoutesContract } from './console-routes.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  consoleRoutesContract('PostgreSQL', { dialect: 'postgres' });
});
