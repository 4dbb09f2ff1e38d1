// The commands part's public face: what a system author writes and reads.
export type {
  Actor,
  CommandContext,
  CommandHandler,
  CommandInfo,
  CommandOptions,
  CommandRef,
  ExecuteOptions,
} from './types.js';
export type { CommandBus, CommandBusOptions } from './command-bus.js';
