import { describe, expect, it } from 'vitest';
import { ConfigError } from 'weft/internal';
import {
  checkStreamName,
  checkSubjectPrefix,
  consumerNameOf,
  filterOf,
  subjectOf,
} from '../../src/integration/events/nats/names.js';

describe('NATS names', () => {
  it('puts each event type on its own subject and maps each pattern to a consumer filter', () => {
    expect(subjectOf('weft.events', 'crafting.item_crafted')).toBe('weft.events.crafting.item_crafted');
    expect(filterOf('weft.events', 'crafting.item_crafted')).toBe('weft.events.crafting.item_crafted');
    expect(filterOf('weft.events', 'crafting.*')).toBe('weft.events.crafting.*');
    expect(filterOf('weft.events', '*')).toBe('weft.events.>');
  });

  it('keeps a subscription name JetStream takes, and hashes one it refuses so that two never share a consumer', () => {
    expect(consumerNameOf('ledger')).toBe('ledger');
    const dotted = consumerNameOf('economy.on_character_created');
    expect(dotted).toMatch(/^economy_on_character_created_[0-9a-f]{12}$/);
    expect(consumerNameOf('economy on_character_created')).not.toBe(dotted);
    expect(consumerNameOf('x'.repeat(200))).toMatch(/^x{48}_[0-9a-f]{12}$/);
  });

  it('refuses a subject prefix or stream name NATS would take otherwise than meant', () => {
    expect(checkSubjectPrefix('weft_test.events')).toBe('weft_test.events');
    for (const prefix of ['weft.*', 'weft.>', 'weft..events', 'weft events', '']) {
      expect(() => checkSubjectPrefix(prefix)).toThrow(ConfigError);
    }
    expect(checkStreamName('WEFT_EVENTS')).toBe('WEFT_EVENTS');
    for (const name of ['WEFT.EVENTS', 'WEFT EVENTS', '', 'x'.repeat(65)]) {
      expect(() => checkStreamName(name)).toThrow(ConfigError);
    }
  });
});
