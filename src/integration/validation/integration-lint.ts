import type { CompiledReference } from './references.js';
import type { RegisteredRule } from './rules.js';
import type { SchemaEntry } from './schema-registry.js';

/** What a backend wires together, as far as the lint needs to know. */
export interface IntegrationWiring {
  /** Event types that are published, with the schema each is validated by (default: the type itself). */
  readonly events?: ReadonlyArray<{ readonly type: string; readonly schema?: string; readonly owner?: string }>;
  /** Subscriptions by pattern: an exact type, `system.*`, or `*`. */
  readonly subscriptions?: ReadonlyArray<{ readonly pattern: string; readonly name?: string }>;
  /** Commands, with the schemas their input and output are validated by. */
  readonly commands?: ReadonlyArray<{
    readonly name: string;
    readonly inputSchema: string;
    readonly outputSchema: string;
  }>;
}

/** One thing wrong with the wiring. */
export interface IntegrationProblem {
  readonly code:
    | 'event_without_schema'
    | 'subscription_matches_nothing'
    | 'reference_unknown_schema'
    | 'rule_unknown_schema'
    | 'schema_two_owners'
    | 'command_without_schema';
  /** What the problem is about: an event type, a subscription, a rule. */
  readonly subject: string;
  readonly message: string;
}

/** The lint's verdict: `ok` when there is no problem. Start-up refuses to go on when it is not. */
export interface IntegrationReport {
  readonly ok: boolean;
  readonly problems: readonly IntegrationProblem[];
}

/** What the lint reads from the validation manager. */
export interface LintInput {
  readonly schemas: readonly SchemaEntry[];
  readonly references: readonly CompiledReference[];
  readonly rules: readonly RegisteredRule[];
}

/** Checks the wiring of a whole backend against what is registered. */
export function lintIntegration(wiring: IntegrationWiring, input: LintInput): IntegrationReport {
  const problems: IntegrationProblem[] = [];
  const names = new Set(input.schemas.map((s) => s.name));
  const events = wiring.events ?? [];
  const types = new Set(events.map((e) => e.type));

  for (const event of events) {
    const schema = event.schema ?? event.type;
    if (!names.has(schema)) {
      problems.push({
        code: 'event_without_schema',
        subject: event.type,
        message: `Event "${event.type}" is published but no schema "${schema}" is registered.`,
      });
    }
  }
  for (const subscription of wiring.subscriptions ?? []) {
    if (![...types].some((type) => matches(subscription.pattern, type))) {
      const who = subscription.name === undefined ? '' : ` (${subscription.name})`;
      problems.push({
        code: 'subscription_matches_nothing',
        subject: subscription.pattern,
        message: `Subscription "${subscription.pattern}"${who} matches no published event type.`,
      });
    }
  }
  for (const command of wiring.commands ?? []) {
    for (const schema of [command.inputSchema, command.outputSchema]) {
      if (!names.has(schema)) {
        problems.push({
          code: 'command_without_schema',
          subject: command.name,
          message: `Command "${command.name}" is validated by "${schema}", which is not a registered schema.`,
        });
      }
    }
  }
  for (const reference of input.references) {
    for (const side of [reference.from, reference.to]) {
      if (!names.has(side)) {
        problems.push({
          code: 'reference_unknown_schema',
          subject: `${reference.from}.${reference.path}`,
          message: `Reference ${reference.from}.${reference.path} -> ${reference.to} names "${side}", which is not a registered schema.`,
        });
      }
    }
  }
  for (const rule of input.rules) {
    for (const schema of rule.schemas) {
      if (!names.has(schema)) {
        problems.push({
          code: 'rule_unknown_schema',
          subject: rule.name,
          message: `Rule "${rule.name}" applies to "${schema}", which is not a registered schema.`,
        });
      }
    }
  }
  const owners = new Map<string, Set<string>>();
  for (const entry of input.schemas) {
    if (entry.owner === undefined) continue;
    const set = owners.get(entry.name) ?? new Set<string>();
    set.add(entry.owner);
    owners.set(entry.name, set);
  }
  for (const [name, set] of owners) {
    if (set.size > 1) {
      problems.push({
        code: 'schema_two_owners',
        subject: name,
        message: `Schema "${name}" is registered by ${[...set].sort().join(' and ')}; one system owns a shape.`,
      });
    }
  }
  return { ok: problems.length === 0, problems };
}

/** `crafting.item_crafted` matches itself, `crafting.*` and `*`. */
export function matches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}
