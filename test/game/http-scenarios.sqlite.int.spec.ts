import { httpScenariosContract } from './http-scenarios.contract.js';

httpScenariosContract('SQLite file', { file: true });
