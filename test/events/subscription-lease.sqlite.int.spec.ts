import { createTestDatabase } from 'weft/testing';
import { subscriptionLeaseContract } from './subscription-lease.contract.js';

subscriptionLeaseContract('SQLite file', () => createTestDatabase({ file: true }));
