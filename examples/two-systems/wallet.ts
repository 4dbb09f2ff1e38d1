// The wallet system: gold per player, a `spend` command, and the `wallet.spent` event it publishes.
// It asks Weft for one handle (`sys`) and needs nothing else.
import { defineSystem } from 'weft';
import { z } from 'zod';

const Balance = z.object({ gold: z.int().min(0) });
const Spent = z.object({ playerId: z.string(), gold: z.int().min(1), on: z.string() });
const SpendInput = z.object({ playerId: z.string(), gold: z.int().min(1), on: z.string().min(1) });
const SpendResult = z.object({ gold: z.int().min(0) });

// Other systems (and `weft.execute`) see these types by name, without importing this file.
declare module 'weft' {
  interface WeftEvents {
    'wallet.spent': z.infer<typeof Spent>;
  }
  interface WeftCommands {
    'wallet.spend': { input: z.infer<typeof SpendInput>; output: z.infer<typeof SpendResult> };
    'wallet.open': { input: { playerId: string; gold: number }; output: { gold: number } };
  }
}

export const wallet = defineSystem({
  name: 'wallet',
  setup(sys) {
    const balances = sys.state.slice('balances', { schema: Balance });
    const spent = sys.events.define({ name: 'spent', durable: true, schema: Spent, partitionKey: (e) => e.playerId });

    sys.command(
      'open',
      { input: z.object({ playerId: z.string(), gold: z.int().min(0) }), output: Balance },
      async ({ playerId, gold }) => (await balances.create(playerId, { gold })).value,
    );

    // One transaction: the balance and the event commit together. A retry with the same
    // Idempotency-Key returns the first result and spends nothing more.
    sys.command('spend', { input: SpendInput, output: SpendResult, idempotent: true }, async (input) => {
      const balance = await balances.update(input.playerId, (b) => ({ gold: b.gold - input.gold }));
      await sys.events.publish(spent, { playerId: input.playerId, gold: input.gold, on: input.on });
      return { gold: balance.value.gold };
    });
  },
});
