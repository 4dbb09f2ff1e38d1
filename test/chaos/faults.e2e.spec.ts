// The fault scenarios at the size of the e2e tier; `npm run chaos` runs the same bodies at full size.
import { faultScenarios } from './faults.js';

await faultScenarios('small');
