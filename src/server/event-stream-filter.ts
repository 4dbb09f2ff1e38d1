import { z } from 'zod';
import { ValidationError, issue, type EventEnvelope } from '../integration/internal.js';

/** A system or type name as events carry them: `crafting`, `crafting.item_crafted`. */
const Name = z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and _');
const TypeName = z.string().regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$/, 'system.event_name');
/** An id as the game hands them out (character ids) or as `x-request-id` carries it (correlation ids). */
const Id = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, '1 to 128 of A-Z a-z 0-9 . _ : -');
/**
 * The largest position the event log holds: its `seq` is an `integer` column, 32 bits on PostgreSQL. A position past
 * it is refused: on PostgreSQL the stream's first read would fail (out of range for the column), ending the stream as
 * it opens and sending the client back to the same position every second; on SQLite it would wait for events that
 * never come.
 */
export const MAX_LOG_POSITION = 2_147_483_647;

/**
 * A position in the event log: events after it are sent. Digits only, as a stream sends them: a number coercion would
 * read `''` and `' '` as 0 (the whole log, from an empty `Last-Event-ID`) and accept `0x10` or `1e3`.
 */
const Seq = z
  .string()
  .regex(/^\d{1,10}$/, 'a log position: a whole number')
  .transform(Number)
  .pipe(z.int().max(MAX_LOG_POSITION));

/** The query of `GET /admin/events/stream`: every filter optional, all that are given must match. */
export const EventStreamQuery = z.strictObject({
  system: Name.optional().describe('only events whose type starts with `<system>.`'),
  type: TypeName.optional().describe('only events of this exact type'),
  characterId: Id.optional().describe('only events whose partition key is this character or whose data mentions it'),
  correlationId: Id.optional().describe('only events of this correlation id (a response’s x-request-id)'),
  since: Seq.optional().describe('send events after this log position (0: the whole log); default: from now'),
});
export type EventStreamQuery = z.infer<typeof EventStreamQuery>;

/** What a stream sends: the filters, checked, and the pattern the event log is read with. */
export interface EventStreamFilter {
  /** The event log pattern: `*`, `system.*` or one type. */
  readonly pattern: string;
  readonly characterId: string | undefined;
  readonly correlationId: string | undefined;
}

/**
 * The filter of a stream. A type and a system that disagree (`type=crafting.x&system=combat`) would
 * match nothing: a 422 says so rather than a stream that stays silent.
 */
export function eventStreamFilter(query: EventStreamQuery): EventStreamFilter {
  if (query.type !== undefined && query.system !== undefined && !query.type.startsWith(`${query.system}.`)) {
    throw new ValidationError(`Type ${query.type} is not an event of system ${query.system}: nothing would match.`, {
      issues: [issue(['querystring', 'type'], 'rule', `not a type of system ${query.system}`)],
    });
  }
  return {
    pattern: query.type ?? (query.system === undefined ? '*' : `${query.system}.*`),
    characterId: query.characterId,
    correlationId: query.correlationId,
  };
}

/** Whether an event read with the filter's pattern passes its other filters. */
export function matchesStreamFilter(filter: EventStreamFilter, envelope: EventEnvelope): boolean {
  if (filter.correlationId !== undefined && envelope.correlationId !== filter.correlationId) return false;
  if (filter.characterId === undefined) return true;
  // Events name a character in many places (data.characterId, a ledger line's `wallet:<id>`): any mention counts.
  return envelope.partitionKey === filter.characterId || JSON.stringify(envelope.data).includes(filter.characterId);
}

/** The position a resumed stream starts after: `Last-Event-ID` (what EventSource and our client send) wins. */
export function resumePosition(
  lastEventId: string | string[] | undefined,
  since: number | undefined,
): number | undefined {
  if (lastEventId === undefined) return since;
  const parsed = Seq.safeParse(Array.isArray(lastEventId) ? lastEventId[0] : lastEventId);
  if (!parsed.success) {
    throw new ValidationError('Last-Event-ID is a log position this stream sent (a whole number).', {
      issues: [issue(['headers', 'last-event-id'], 'invalid_type', 'not a log position')],
    });
  }
  return parsed.data;
}
