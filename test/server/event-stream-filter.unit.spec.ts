import { describe, expect, it } from 'vitest';
import { ValidationError, type EventEnvelope } from 'weft/internal';
import {
  EventStreamQuery,
  MAX_LOG_POSITION,
  eventStreamFilter,
  matchesStreamFilter,
  resumePosition,
} from '../../src/server/event-stream-filter.js';

const envelope = (over: Partial<EventEnvelope>): EventEnvelope => ({
  id: 'e1',
  type: 'economy.gold_moved',
  version: 1,
  source: 'economy',
  time: '2026-01-01T00:00:00.000Z',
  partitionKey: undefined,
  correlationId: 'req-1',
  causationId: undefined,
  traceparent: undefined,
  data: { lines: [{ account: 'wallet:c-1', amount: 5 }] },
  ...over,
});

describe('the event stream’s filters', () => {
  it('reads the log by system or type and matches correlation and character on each event', () => {
    expect(eventStreamFilter({}).pattern).toBe('*');
    expect(eventStreamFilter({ system: 'economy' }).pattern).toBe('economy.*');
    expect(eventStreamFilter({ system: 'economy', type: 'economy.gold_moved' }).pattern).toBe('economy.gold_moved');
    const filter = eventStreamFilter({ characterId: 'c-1', correlationId: 'req-1' });
    expect(matchesStreamFilter(filter, envelope({}))).toBe(true);
    expect(matchesStreamFilter(filter, envelope({ correlationId: 'req-2' }))).toBe(false);
    expect(matchesStreamFilter(filter, envelope({ data: { characterId: 'c-2' } }))).toBe(false);
    expect(matchesStreamFilter(filter, envelope({ data: {}, partitionKey: 'c-1' }))).toBe(true);
  });

  it('refuses a type of another system, and a query or Last-Event-ID that is not one', () => {
    expect(() => eventStreamFilter({ system: 'combat', type: 'economy.gold_moved' })).toThrow(ValidationError);
    expect(EventStreamQuery.safeParse({ type: 'Economy' }).success).toBe(false);
    expect(EventStreamQuery.safeParse({ since: '-1' }).success).toBe(false);
    expect(resumePosition('12', 3)).toBe(12);
    expect(resumePosition(undefined, 3)).toBe(3);
    expect(() => resumePosition('twelve', undefined)).toThrow(ValidationError);
  });

  it('takes a position as digits up to the log’s largest, and nothing else for one', () => {
    expect(resumePosition(String(MAX_LOG_POSITION), undefined)).toBe(MAX_LOG_POSITION);
    expect(EventStreamQuery.parse({ since: '0' }).since).toBe(0);
    // Past what PostgreSQL's integer column holds (the stream's first read failed there), or what a coercion read as a
    // number: '' and ' ' as 0 (the whole log), hex and exponents.
    for (const position of [String(MAX_LOG_POSITION + 1), '9007199254740991', '', ' ', '0x10', '1e3', '+1', '1.0']) {
      expect([position, EventStreamQuery.safeParse({ since: position }).success]).toEqual([position, false]);
      expect(() => resumePosition(position, undefined)).toThrow(ValidationError);
    }
  });
});
