import { systemKitContract } from './system-kit.contract.js';

systemKitContract('SQLite file', { file: true });
