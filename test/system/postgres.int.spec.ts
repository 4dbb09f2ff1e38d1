import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { systemKitContract } from './system-kit.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  systemKitContract('PostgreSQL', { dialect: 'postgres' });
});
