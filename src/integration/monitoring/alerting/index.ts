export { Alerting } from './alerting.js';
export type { AlertRoute, AlertingOptions, Clock, RuleState, RuleStatus, Silence, Transition } from './alerting.js';
export { alertRuleSchema, durationMs } from './alert-rule.js';
export type { Aggregate, AlertRule, Comparison, Severity } from './alert-rule.js';
export { callbackChannel, logChannel, webhookChannel } from './channels.js';
export type { Alert, AlertChannel, WebhookOptions } from './channels.js';
export { builtinRules } from './builtin-rules.js';
export type { BuiltinThresholds } from './builtin-rules.js';
