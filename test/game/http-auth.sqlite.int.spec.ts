import { httpAuthContract } from './http-auth.contract.js';

httpAuthContract('SQLite file', { file: true });
