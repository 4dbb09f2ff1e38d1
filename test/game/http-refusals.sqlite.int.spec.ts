import { httpRefusalsContract } from './http-refusals.contract.js';

httpRefusalsContract('SQLite file', { file: true });
