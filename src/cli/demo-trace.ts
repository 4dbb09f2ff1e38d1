import { z } from 'zod';

/** One event of `GET /admin/trace/:id`, as the demo reads it. */
export interface TraceNode {
  readonly type: string;
  readonly source: string;
  readonly data: unknown;
  readonly handlers: ReadonlyArray<{ readonly subscription: string; readonly outcome: string }>;
  readonly caused: readonly TraceNode[];
}

const TraceNodeSchema: z.ZodType<TraceNode> = z.looseObject({
  type: z.string(),
  source: z.string(),
  data: z.unknown(),
  handlers: z.array(z.looseObject({ subscription: z.string(), outcome: z.string() })),
  get caused() {
    return z.array(TraceNodeSchema);
  },
});

/** The trace route's answer, as the demo reads it. */
export const TraceAnswer = z.looseObject({
  correlationId: z.string(),
  events: z.array(TraceNodeSchema),
  eventCount: z.int(),
  stateChanges: z.array(z.looseObject({ system: z.string(), key: z.string(), version: z.int(), kind: z.string() })),
});
export type TraceAnswer = z.infer<typeof TraceAnswer>;

/**
 * The trace as indented lines: each event with its publisher and its handlers' outcomes, what it caused one level
 * deeper; then the state versions written.
 */
export function formatTrace(trace: TraceAnswer): string[] {
  const lines = [`causal tree of request ${trace.correlationId} (${trace.eventCount} events):`];
  const walk = (nodes: readonly TraceNode[], depth: number): void => {
    for (const node of nodes) {
      const handlers = node.handlers.map((h) => `${h.subscription} ${h.outcome}`).join(', ');
      lines.push(`${'  '.repeat(depth)}- ${node.type}${summary(node.data)}${handlers === '' ? '' : `  [${handlers}]`}`);
      walk(node.caused, depth + 1);
    }
  };
  walk(trace.events, 1);
  lines.push(`state changes (${trace.stateChanges.length}):`);
  for (const change of trace.stateChanges)
    lines.push(`  ${change.system} ${change.key} v${change.version} (${change.kind})`);
  return lines;
}

/** A few telling fields of an event's data, for one line. */
function summary(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const fields = Object.entries(data as Record<string, unknown>)
    .filter(
      ([key, value]) =>
        ['itemId', 'count', 'questId', 'reason', 'recipeId', 'system', 'version'].includes(key) && value !== undefined,
    )
    .map(([key, value]) => `${key}=${String(value)}`);
  return fields.length === 0 ? '' : ` (${fields.join(' ')})`;
}
