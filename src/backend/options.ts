import { BackendError, show } from '../util/errors.js';
import { BACKEND_NAMES, type BackendInfo, type BackendName, type BackendOptions } from './types.js';

export const BACKEND_ENV = 'DLTH_BACKEND';

export interface ResolvedBackendOptions {
  backend: BackendName;
  requestedBy: BackendInfo['requestedBy'];
  quiet: boolean;
}

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}

/** Parses a backend name from a flag or the environment; throws a BackendError naming the value. */
export function parseBackendName(value: string, source: string): BackendName {
  const v = value.trim().toLowerCase();
  if (isBackendName(v)) return v;
  throw new BackendError(`${source}: unknown backend ${show(value)}; expected one of ${BACKEND_NAMES.join('|')}`);
}

/** The option wins over `DLTH_BACKEND`, which wins over `auto`. */
export function resolveBackendOptions(
  opts: BackendOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedBackendOptions {
  const quiet = opts.quiet ?? true;
  if (opts.backend !== undefined) {
    return { backend: parseBackendName(opts.backend, 'backend option'), requestedBy: 'option', quiet };
  }
  const fromEnv = env[BACKEND_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { backend: parseBackendName(fromEnv, BACKEND_ENV), requestedBy: 'env', quiet };
  }
  return { backend: 'auto', requestedBy: 'default', quiet };
}
