import { analyticsContract } from './analytics.contract.js';

analyticsContract('SQLite file', { file: true });
