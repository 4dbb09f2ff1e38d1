import { operatorFuzzContract } from './operator-fuzz.contract.js';

operatorFuzzContract('SQLite file', { file: true }, 1000);
