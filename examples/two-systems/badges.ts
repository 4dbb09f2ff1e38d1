// The badges system: it hears `wallet.spent` (declared by the wallet system, typed here by name)
// and keeps a typed tally per player; spending 100 gold in all earns the "patron" badge.
import { defineSystem } from 'weft';
import { z } from 'zod';

const Tally = z.object({ spent: z.int().min(0), badges: z.array(z.string()) });

export const badges = defineSystem({
  name: 'badges',
  setup(sys) {
    const tallies = sys.state.slice('tallies', { schema: Tally });

    // A durable subscription named badges.on_spent: at least once, and its writes commit with the
    // inbox row, so a redelivered event never counts twice.
    sys.events.subscribe('wallet.spent', async (event) => {
      const { playerId, gold } = event.data;
      await tallies.upsert(playerId, (tally) => {
        const spent = (tally?.spent ?? 0) + gold;
        const earned = tally?.badges ?? [];
        return { spent, badges: spent >= 100 && !earned.includes('patron') ? [...earned, 'patron'] : earned };
      });
      sys.logger.info({ playerId, gold }, 'spending tallied');
    });
  },
});
