import { describe } from 'vitest';
import { postgresAvailableForTests } from 'weft/testing';
import { httpSocketContract } from './http-socket.contract.js';

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  httpSocketContract('PostgreSQL', { dialect: 'postgres' });
});
