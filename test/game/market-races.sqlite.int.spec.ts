import { marketRacesContract } from './market-races.contract.js';

marketRacesContract('SQLite file', { file: true });
