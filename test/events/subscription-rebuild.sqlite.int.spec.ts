import { createTestDatabase } from 'weft/testing';
import { subscriptionRebuildContract } from './subscription-rebuild.contract.js';

subscriptionRebuildContract('SQLite file', () => createTestDatabase({ file: true }));
