import { characterRacesContract } from './character-races.contract.js';

characterRacesContract('SQLite file', { file: true });
