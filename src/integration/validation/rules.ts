import { ConfigError, type ValidationIssue } from '../errors/internal.js';
import { errorText, issue } from './issues.js';

/** Where a failing rule points, when it knows better than the root. */
export interface RuleViolation {
  readonly path?: readonly (string | number)[];
  readonly message?: string;
}

/** What a rule's check answers: pass (`true`), fail at the root (`false`), or each violation with its path. */
export type RuleOutcome = boolean | readonly RuleViolation[];

/** What a rule's check receives besides the value. */
export interface RuleContext {
  /** The schema the value was validated against. */
  readonly schema: string;
}

/** A game rule on values that already passed their schema: "a recipe never yields its own input". */
export interface BusinessRule<T = unknown> {
  /** Schema names the rule applies to. */
  readonly appliesTo: string | readonly string[];
  check(value: T, context: RuleContext): RuleOutcome | Promise<RuleOutcome>;
  /** The message of a violation that brings none of its own. */
  readonly message: string;
  /** `error` (default) fails the validation; `warning` is reported without failing it. */
  readonly severity?: 'error' | 'warning';
}

/** A rule as stored: its name and the schemas it applies to as a list. */
export interface RegisteredRule extends BusinessRule {
  readonly name: string;
  readonly schemas: readonly string[];
}

/** Checks a rule definition and normalises it. */
export function registeredRule(name: string, rule: BusinessRule): RegisteredRule {
  const schemas = typeof rule.appliesTo === 'string' ? [rule.appliesTo] : [...rule.appliesTo];
  if (schemas.length === 0) throw new ConfigError(`Rule "${name}" applies to no schema; set appliesTo.`);
  if (typeof rule.check !== 'function') throw new ConfigError(`Rule "${name}" has no check function.`);
  if (rule.severity !== undefined && rule.severity !== 'error' && rule.severity !== 'warning') {
    throw new ConfigError(
      `Rule "${name}" severity must be "error" or "warning"; received ${JSON.stringify(rule.severity)}.`,
    );
  }
  return { ...rule, name, schemas };
}

/** Turns a rule's outcome into issues of code `rule`. */
export function ruleIssues(rule: RegisteredRule, outcome: RuleOutcome): ValidationIssue[] {
  if (outcome === true) return [];
  const violations = outcome === false ? [{}] : outcome;
  return violations.map((v: RuleViolation) => issue([...(v.path ?? [])], 'rule', v.message ?? rule.message, rule.name));
}

/** A rule's check that threw: reported as an issue of that rule, never as an exception of the validation. */
export function ruleFailure(rule: RegisteredRule, error: unknown): ValidationIssue {
  return issue([], 'rule', `Rule "${rule.name}" failed to run: ${errorText(error)}`, rule.name);
}
