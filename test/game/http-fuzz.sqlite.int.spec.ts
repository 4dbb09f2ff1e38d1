import { httpFuzzContract } from './http-fuzz.contract.js';

httpFuzzContract('SQLite file', { file: true }, { valid: 4, mutated: 16 });
