import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, defineEvent } from 'weft/internal';

describe('defineEvent', () => {
  const base = { type: 'crafting.item_crafted', version: 1, owner: 'crafting', durable: true, schema: z.object({}) };

  it('refuses a definition it would misread, naming what is wrong', () => {
    for (const [definition, message] of [
      [{ ...base, type: 'Crafting.ItemCrafted' }, /Event type must be system.snake_case_name/],
      [{ ...base, version: 0 }, /version must be an integer >= 1/],
      [{ ...base, owner: 'Crafting' }, /owner must be a system name/],
      // Left out, durable read as false: a durable event silently became one delivered at most once.
      [{ ...base, durable: undefined }, /must say durable: true .* or false/],
      [{ ...base, durable: 'yes' }, /must say durable: true .* or false .*received "yes"/],
      [{ ...base, partitionKey: 'characterId' }, /partitionKey must be a function/],
    ] as const) {
      expect(() => defineEvent(definition as never)).toThrow(ConfigError);
      expect(() => defineEvent(definition as never)).toThrow(message);
    }
    expect(defineEvent(base)).toMatchObject({ type: 'crafting.item_crafted', durable: true });
  });
});
