import { worldContract } from './world.contract.js';

worldContract('SQLite file', { file: true });
