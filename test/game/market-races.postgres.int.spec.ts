import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { marketRacesContract } from './market-races.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  marketRacesContract('PostgreSQL', { dialect: 'postgres' });
});
