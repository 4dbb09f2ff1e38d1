// The fault scenarios at the size of issue 14 (`npm run chaos`); the e2e tier runs the same bodies small.
import { faultScenarios } from './faults.js';

await faultScenarios('full');
