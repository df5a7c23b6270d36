import { DlthError, ErrorCode, redactCredentials } from '../util/errors.js';

/** Exit codes of the `dlth` CLI, one per error family (documented in the README). */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  BadInput: 3,
  BadData: 4,
  Io: 5,
  TooManyFailures: 6,
  Backend: 7,
  Interrupted: 130,
} as const;

const CODE_EXIT: Record<ErrorCode, number> = {
  [ErrorCode.Usage]: ExitCode.Usage,
  [ErrorCode.Input]: ExitCode.BadInput,
  [ErrorCode.Image]: ExitCode.BadInput,
  [ErrorCode.Pipeline]: ExitCode.BadInput,
  [ErrorCode.Shard]: ExitCode.BadData,
  [ErrorCode.Manifest]: ExitCode.BadData,
  [ErrorCode.Checkpoint]: ExitCode.BadData,
  [ErrorCode.Io]: ExitCode.Io,
  [ErrorCode.TooManyFailures]: ExitCode.TooManyFailures,
  [ErrorCode.Backend]: ExitCode.Backend,
  [ErrorCode.Model]: ExitCode.Backend,
  [ErrorCode.Interrupted]: ExitCode.Interrupted,
};

/**
 * A Node.js system error (ENOSPC, EACCES, ENOTDIR, EROFS, EIO, …: it has an errno `code` and a
 * `syscall`) that reached the CLI without being wrapped: an I/O failure, not an internal error.
 */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  if (!(err instanceof Error)) return false;
  const e = err as NodeJS.ErrnoException;
  return typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string';
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof DlthError) return CODE_EXIT[err.code];
  return isSystemError(err) ? ExitCode.Io : ExitCode.Failure;
}

/**
 * The one place errors become messages: one line for a DlthError or a system error (no stack:
 * these are foreseeable), anything else with its stack (a bug). Credentials in URLs are redacted.
 */
export function describeError(err: unknown): string {
  if (err instanceof DlthError) return `dlth: error: ${err.message}`;
  if (isSystemError(err)) return redactCredentials(`dlth: error: ${err.message.split('\n')[0]}`);
  if (err instanceof Error) return redactCredentials(`dlth: internal error: ${err.stack ?? err.message}`);
  return redactCredentials(`dlth: internal error: ${String(err)}`);
}
