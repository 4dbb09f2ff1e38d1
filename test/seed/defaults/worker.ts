// Uses the seed-style default instances with no WEFT_DATABASE_URL, in the working directory the test gives.
import { integrationEventBus, stateSyncManager, transaction } from '../../../src/integration/index.js';

await stateSyncManager.notifyStateChange('world_state', { day: 1 });
const day = await transaction(async (tx) => (await tx.get<{ day: number }>('world_state', 'state'))?.value.day);
integrationEventBus.register('world_day', () => undefined);
await integrationEventBus.dispatch('world_day', { day });
process.stdout.write(`${JSON.stringify({ day })}\n`);
process.exit(0);
