import { ConfigError, type ValidationIssue } from '../errors/internal.js';
import { MAX_ISSUES, errorText, issue } from './issues.js';

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

/**
 * Turns a rule's outcome into issues of code `rule`: at most MAX_ISSUES of them, and how many more
 * violations it reported (a rule may report one per item of a large value).
 */
export function ruleIssues(rule: RegisteredRule, outcome: RuleOutcome): { issues: ValidationIssue[]; omitted: number } {
  if (outcome === true) return { issues: [], omitted: 0 };
  if (outcome !== false && !Array.isArray(outcome)) {
    // A rule's bug, reported as a failure of that rule rather than thrown out of the validation.
    const message = `Rule "${rule.name}" answered neither true, false nor a list of violations`;
    return { issues: [issue([], 'rule', message, rule.name)], omitted: 0 };
  }
  const violations: readonly unknown[] = outcome === false ? [{}] : outcome;
  const issues = violations.slice(0, MAX_ISSUES).map((found) => {
    const v: RuleViolation = typeof found === 'object' && found !== null ? found : {};
    const path = Array.isArray(v.path) ? v.path.filter((k) => typeof k === 'string' || typeof k === 'number') : [];
    return issue(path, 'rule', typeof v.message === 'string' ? v.message : rule.message, rule.name);
  });
  return { issues, omitted: violations.length - issues.length };
}

/** A rule's check that threw: reported as an issue of that rule, never as an exception of the validation. */
export function ruleFailure(rule: RegisteredRule, error: unknown): ValidationIssue {
  return issue([], 'rule', `Rule "${rule.name}" failed to run: ${errorText(error)}`, rule.name);
}
