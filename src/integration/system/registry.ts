import type { EnvelopeFor, EventEnvelope, EventPattern, MatchingTypes } from '../events/internal.js';

/**
 * Event type -> data type of the events the game's systems define. Empty in Weft; each system
 * declares its own, so subscribers elsewhere get them typed without importing its files:
 * @example
 * declare module 'weft' {
 *   interface WeftEvents { 'crafting.item_crafted': { characterId: string; itemId: string } }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface WeftEvents {}

/**
 * Command name -> its input and output types, declared by the system that registers it, so
 * `weft.execute('crafting.craft', input)` is checked at compile time.
 * @example
 * declare module 'weft' {
 *   interface WeftCommands { 'crafting.craft': { input: CraftInput; output: CraftResult } }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface WeftCommands {}

/**
 * The declared events as a map the bus's types accept (an interface has no index signature; a
 * mapped type does).
 */
export type DeclaredEvents = { [K in Extract<keyof WeftEvents, string>]: WeftEvents[K] };

/**
 * A pattern a system may subscribe to: a declared type, `system.*`, `*`, or any other type (whose
 * data is then unknown). The world stays open: a program that declares some events still compiles
 * code naming others; the integration lint reports a subscription that matches no defined event.
 */
// `string & {}` keeps the declared types offered by editors while any string is accepted.
export type DeclaredPattern = EventPattern<DeclaredEvents> | (string & {});

/** The envelope a handler of pattern `P` receives: typed from the declared events it matches, else of unknown data. */
export type DeclaredEnvelope<P extends string> = [MatchingTypes<DeclaredEvents, P>] extends [never]
  ? EventEnvelope<P extends '*' | `${string}.*` ? string : P, unknown>
  : EnvelopeFor<DeclaredEvents, P>;

/** A command name `execute` accepts: a declared one (typed), or any other (input and output unknown). */
// Weft itself declares no command, so the declared part reads as never here; programs fill it in.

export type CommandName = Extract<keyof WeftCommands, string> | (string & {});

/** The input type of a declared command (unknown when undeclared). */
export type CommandInput<K extends string> = K extends keyof WeftCommands
  ? WeftCommands[K] extends { readonly input: infer Input }
    ? Input
    : unknown
  : unknown;

/** The output type of a declared command (unknown when undeclared). */
export type CommandOutput<K extends string> = K extends keyof WeftCommands
  ? WeftCommands[K] extends { readonly output: infer Output }
    ? Output
    : unknown
  : unknown;
