import { createTestDatabase } from 'weft/testing';
import { stateContract } from './state.contract.js';
import { stateInputContract } from './state-input.contract.js';

stateContract('SQLite file', () => createTestDatabase({ file: true }));
stateInputContract('SQLite file', () => createTestDatabase({ file: true }));
