import { traceContract } from './trace.contract.js';

traceContract('SQLite file', { file: true });
