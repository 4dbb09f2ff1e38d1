import { runWithContext } from '../monitoring/internal.js';
import { matchesEventPattern } from '../validation/internal.js';
import type { EventEnvelope } from './envelope.js';
import type { EventLog } from './event-log.js';
import type { EventHandler } from './types.js';

const PAGE = 500;

/**
 * Runs the log's events with sequence numbers in [from, to] whose type matches one of `patterns`
 * through `handler`, in order, each with `replay: true` in its context. Returns how many ran.
 */
export async function replayLog(
  log: EventLog,
  handler: EventHandler<EventEnvelope>,
  range: { patterns: readonly string[]; from?: number; to?: number },
): Promise<number> {
  let seq = Math.max(0, (range.from ?? 1) - 1);
  let count = 0;
  for (;;) {
    const page = await log.readAfter(seq, '*', PAGE, range.to);
    for (const { seq: at, envelope } of page) {
      seq = at;
      if (!range.patterns.some((pattern) => matchesEventPattern(pattern, envelope.type))) continue;
      await runWithContext({ correlationId: envelope.correlationId, causationId: envelope.id, replay: true }, () =>
        handler(envelope),
      );
      count++;
    }
    if (page.length < PAGE) return count;
  }
}
