import { ConfigError } from '../integration/internal.js';

/** What each refusal of `listen` means for the settings that caused it. */
const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use',
  EADDRNOTAVAIL: 'the address is not one of this machine',
  EACCES: 'the port needs privileges this process does not have',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved now',
  EAI_FAIL: 'the host name does not resolve',
};

/**
 * Maps a failed `listen` caused by HOST or PORT to a ConfigError of one line naming both (the
 * original error is its cause); any other error is returned as it is.
 */
export function listenError(error: unknown, where: { host: string; port: number }): Error {
  if (!(error instanceof Error)) return new Error('listen failed', { cause: error });
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const reason = code === undefined ? undefined : REASONS[code];
  if (reason === undefined) return error;
  return new ConfigError(`Cannot listen on HOST=${where.host} PORT=${where.port}: ${reason} (${code}).`, {
    cause: error,
  });
}
