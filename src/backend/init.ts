import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../util/errors.js';
import { attempt, CANDIDATES } from './candidates.js';
import { sayFallback } from './fallback.js';
import { resolveBackendOptions, type ResolvedBackendOptions } from './options.js';
import type { BackendInfo, BackendName, BackendOptions, Candidate, Unavailable } from './types.js';

export interface BackendSelection {
  info: BackendInfo;
  /** Candidates tried before the one in use, with the reason each failed. */
  failed: Unavailable[];
}

let current: { key: BackendName; selection: Promise<BackendSelection> } | undefined;

/** The candidates a request allows, fastest first. */
export function candidatesFor(name: BackendName): readonly Candidate[] {
  switch (name) {
    case 'auto':
      return CANDIDATES;
    case 'tensorflow':
      return ['tensorflow-gpu', 'tensorflow'];
    case 'webgpu':
      return ['webgpu'];
    case 'wasm':
      return ['wasm'];
    case 'cpu':
      return ['cpu'];
  }
}

/**
 * Selects and initialises the TF.js backend: native GPU, native CPU, wasm, then cpu (`auto`), or the
 * one asked for by `opts.backend` / `DLTH_BACKEND`. Idempotent: the same request returns the same
 * result without redoing work. Throws a BackendError when an explicitly requested backend fails.
 */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  return (await selectBackend(opts)).info;
}

/** Like initBackend, with the reasons of the candidates that failed. */
export function selectBackend(opts: BackendOptions = {}): Promise<BackendSelection> {
  const resolved = resolveBackendOptions(opts);
  if (current && current.key === resolved.backend) {
    const { selection } = current;
    return selection.then(async (s) => (tf.getBackend() === s.info.backend ? s : reactivate(s)));
  }
  const selection = select(resolved);
  current = { key: resolved.backend, selection };
  selection.catch(() => {
    if (current?.selection === selection) current = undefined;
  });
  return selection;
}

/** Another caller switched tfjs-core elsewhere; switch back to the selected backend. */
async function reactivate(s: BackendSelection): Promise<BackendSelection> {
  await tf.setBackend(s.info.backend);
  return s;
}

async function select(opts: ResolvedBackendOptions): Promise<BackendSelection> {
  const failed: Unavailable[] = [];
  for (const candidate of candidatesFor(opts.backend)) {
    const res = await attempt(candidate, opts.quiet, opts.backend === candidate);
    if (res.ok) {
      const info: BackendInfo = {
        ...res.facts,
        requested: opts.backend,
        requestedBy: opts.requestedBy,
        tfjsVersion: tf.version_core,
      };
      sayFallback(info, failed);
      return { info, failed };
    }
    failed.push({ candidate, reason: res.reason });
  }
  const why = failed.map((f) => `${f.candidate}: ${f.reason}`).join('; ');
  throw new BackendError(`backend ${JSON.stringify(opts.backend)} (from ${opts.requestedBy}) is unavailable: ${why}`);
}

/** The selection in force, if initBackend has completed. */
export async function currentSelection(): Promise<BackendSelection | undefined> {
  if (!current) return undefined;
  try {
    return await current.selection;
  } catch {
    return undefined;
  }
}
