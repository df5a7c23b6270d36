/**
 * Typed errors of the library. Library code throws these; only the CLI turns them into messages
 * and exit codes. Every error that concerns a file names it.
 */
export const ErrorCode = {
  Input: 'E_INPUT',
  Image: 'E_IMAGE',
  Pipeline: 'E_PIPELINE',
  Shard: 'E_SHARD',
  Manifest: 'E_MANIFEST',
  Backend: 'E_BACKEND',
  Model: 'E_MODEL',
  Checkpoint: 'E_CHECKPOINT',
  Io: 'E_IO',
  Interrupted: 'E_INTERRUPTED',
  TooManyFailures: 'E_TOO_MANY_FAILURES',
  Usage: 'E_USAGE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface DlthErrorOptions {
  /** The file (or URL) the error is about, when there is one. */
  file?: string;
  cause?: unknown;
}

export class DlthError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  constructor(code: ErrorCode, message: string, options: DlthErrorOptions = {}) {
    // Credentials in a URL (`user:pass@`) never reach a message, a log or errors.jsonl.
    const file = options.file === undefined ? undefined : redactCredentials(options.file);
    super(redactCredentials(file ? `${file}: ${message}` : message), { cause: options.cause });
    this.name = 'DlthError';
    this.code = code;
    this.file = file;
  }
}

/** A user-supplied input (source, image, config value) is unusable. */
export class InputError extends DlthError {
  constructor(message: string, options: DlthErrorOptions = {}) {
    super(ErrorCode.Input, message, options);
    this.name = 'InputError';
  }
}

/**
 * A file was looked at and refused before being read: not a regular file (a FIFO, a device, a
 * socket, a directory) or over a size limit.
 */
export class FileRefusedError extends InputError {
  /** Why, without the file name that prefixes `message`. */
  readonly reason: string;
  constructor(reason: string, options: DlthErrorOptions = {}) {
    super(reason, options);
    this.name = 'FileRefusedError';
    this.reason = reason;
  }
}

/** An image could not be decoded or is outside the allowed limits. */
export class ImageError extends DlthError {
  constructor(message: string, options: DlthErrorOptions = {}) {
    super(ErrorCode.Image, message, options);
    this.name = 'ImageError';
  }
}

/** An image smaller than the target size, refused (patchify.smallImages "skip") rather than upscaled. */
export class SmallImageError extends ImageError {
  constructor(message: string, options: DlthErrorOptions = {}) {
    super(message, options);
    this.name = 'SmallImageError';
  }
}

/** A pipeline file is malformed; `path` is the JSON path of the offending value. */
export class PipelineError extends DlthError {
  readonly path: string;
  constructor(message: string, path: string, options: DlthErrorOptions = {}) {
    super(ErrorCode.Pipeline, `${path}: ${message}`, options);
    this.name = 'PipelineError';
    this.path = path;
  }
}

/** A shard is corrupt, inconsistent with its manifest or with the format. */
export class ShardError extends DlthError {
  constructor(message: string, options: DlthErrorOptions = {}) {
    super(ErrorCode.Shard, message, options);
    this.name = 'ShardError';
  }
}

/** A manifest is missing, malformed, of an unknown version, or unsafe. */
export class ManifestError extends DlthError {
  constructor(message: string, options: DlthErrorOptions = {}) {
    super(ErrorCode.Manifest, message, options);
    this.name = 'ManifestError';
  }
}

export class BackendError extends DlthError {
  constructor(message: string, options: DlthErrorOptions = {}) {
    super(ErrorCode.Backend, message, options);
    this.name = 'BackendError';
  }
}

export class ModelError extends DlthError {
  constructor(message: string, options: DlthErrorOptions = {}) {
    super(ErrorCode.Model, message, options);
    this.name = 'ModelError';
  }
}

export class CheckpointError extends DlthError {
  constructor(message: string, options: DlthErrorOptions = {}) {
    super(ErrorCode.Checkpoint, message, options);
    this.name = 'CheckpointError';
  }
}

/** An operating-system I/O failure (ENOSPC, EACCES, EIO, …) while reading or writing `file`. */
export class IoError extends DlthError {
  readonly syscallCode: string | undefined;
  constructor(message: string, options: DlthErrorOptions & { syscallCode?: string } = {}) {
    super(ErrorCode.Io, message, options);
    this.name = 'IoError';
    this.syscallCode = options.syscallCode;
  }
}

export class InterruptedError extends DlthError {
  constructor(message: string) {
    super(ErrorCode.Interrupted, message);
    this.name = 'InterruptedError';
  }
}

export class TooManyFailuresError extends DlthError {
  readonly failures: number;
  constructor(message: string, failures: number, options: DlthErrorOptions = {}) {
    super(ErrorCode.TooManyFailures, message, options);
    this.name = 'TooManyFailuresError';
    this.failures = failures;
  }
}

/** Wraps a Node.js system error (with `code`) into an IoError naming the file. */
export function ioError(err: unknown, file: string, action: string): IoError {
  const code = errnoCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  return new IoError(`${action} failed${code ? ` (${code})` : ''}: ${reason}`, {
    file,
    cause: err,
    syscallCode: code,
  });
}

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * `scheme://user:pass@host` → `scheme://***@host`, anywhere in a text (messages, logs). The userinfo
 * runs to the last `@` of the authority, as a URL parser reads it (`user:p@ss@host`: password `p@ss`).
 */
export function redactCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#\\]*@/gi, '$1***@');
}

/** Formats a value for an error message: short, quoted, never huge. */
export function show(value: unknown, max = 80): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
