import { DlthError, ErrorCode } from '../util/errors.js';

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

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof DlthError)) return ExitCode.Failure;
  switch (err.code) {
    case ErrorCode.Usage:
      return ExitCode.Usage;
    case ErrorCode.Input:
    case ErrorCode.Image:
    case ErrorCode.Pipeline:
      return ExitCode.BadInput;
    case ErrorCode.Shard:
    case ErrorCode.Manifest:
    case ErrorCode.Checkpoint:
      return ExitCode.BadData;
    case ErrorCode.Io:
      return ExitCode.Io;
    case ErrorCode.TooManyFailures:
      return ExitCode.TooManyFailures;
    case ErrorCode.Backend:
    case ErrorCode.Model:
      return ExitCode.Backend;
    case ErrorCode.Interrupted:
      return ExitCode.Interrupted;
  }
}

/** The one place errors become messages: a DlthError's own message, anything else with its stack. */
export function describeError(err: unknown): string {
  if (err instanceof DlthError) return `dlth: error: ${err.message}`;
  if (err instanceof Error) return `dlth: internal error: ${err.stack ?? err.message}`;
  return `dlth: internal error: ${String(err)}`;
}
