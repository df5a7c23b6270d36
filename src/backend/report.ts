import { cpuDevice, cudaGpus, noGpuReason } from './devices.js';
import { currentSelection, selectBackend, type BackendSelection } from './init.js';
import { CANDIDATES } from './candidates.js';
import { loadNative, NATIVE_PACKAGE } from './native.js';
import type { BackendInfo, BackendOptions, BackendReport, Candidate, Unavailable } from './types.js';
import { prepareWasm, WASM_PACKAGE } from './wasm.js';

/**
 * What `dlth doctor` prints: the backend in use (initialising it when needed, per `opts`), versions,
 * devices, threads, and for every faster backend that is not in use, why.
 */
export async function backendReport(opts?: BackendOptions): Promise<BackendReport> {
  const selection = (opts === undefined ? await currentSelection() : undefined) ?? (await selectBackend(opts));
  const { info } = selection;
  return {
    ...info,
    devices: [cpuDevice(), ...cudaGpus()],
    unavailable: await fasterUnavailable(selection),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** The candidate an initialised backend corresponds to. */
export function candidateOf(info: BackendInfo): Candidate {
  if (info.backend === 'tensorflow') return info.gpu ? 'tensorflow-gpu' : 'tensorflow';
  return info.backend;
}

async function fasterUnavailable({ info, failed }: BackendSelection): Promise<Unavailable[]> {
  const faster = CANDIDATES.slice(0, CANDIDATES.indexOf(candidateOf(info)));
  const out: Unavailable[] = [];
  for (const candidate of faster) {
    const tried = failed.find((f) => f.candidate === candidate);
    out.push(tried ?? { candidate, reason: await untriedReason(candidate, info) });
  }
  return out;
}

/** A faster candidate that selection did not try (a slower one was asked for): probe it. */
async function untriedReason(candidate: Candidate, info: BackendInfo): Promise<string> {
  const notSelected = `available, not selected: ${info.requested} was requested by ${info.requestedBy}`;
  switch (candidate) {
    case 'tensorflow-gpu':
      return noGpuReason(cudaGpus()) ?? `CUDA GPU present, not tried: ${info.requested} was requested by ${info.requestedBy}`;
    case 'tensorflow': {
      const load = loadNative(NATIVE_PACKAGE, true);
      return load.ok ? notSelected : load.reason;
    }
    case 'webgpu':
      return `not tried: ${info.requested} was requested by ${info.requestedBy}`;
    case 'wasm':
      try {
        await prepareWasm();
        return notSelected;
      } catch (err) {
        return `${WASM_PACKAGE} failed to load: ${err instanceof Error ? err.message : String(err)}`;
      }
    case 'cpu':
      return notSelected;
  }
}

const REQUESTED_BY: Record<BackendReport['requestedBy'], string> = {
  option: 'by option',
  env: 'by DLTH_BACKEND',
  default: 'default',
};

/** A human-readable report, one fact per line. */
export function formatBackendReport(r: BackendReport): string {
  const lines = [
    `backend:     ${r.backend} (${r.package})${r.gpu ? ' on GPU' : ''}`,
    `requested:   ${r.requested} (${REQUESTED_BY[r.requestedBy]})`,
    `tfjs-core:   ${r.tfjsVersion}`,
    `tensorflow:  ${r.nativeVersion ?? 'not in use (native TensorFlow not loaded)'}`,
    `threads:     ${r.threads}`,
    ...r.devices.map((d) => `device:      ${d.type} ${d.name}${d.cores ? ` (${d.cores} logical cores)` : ''}`),
    `gpu:         ${r.devices.some((d) => d.type === 'gpu') ? 'yes' : 'no'}`,
    `node:        ${r.node} ${r.platform}`,
    ...r.notes.map((n) => `note:        ${n}`),
    ...r.unavailable.map((u) => `unavailable: ${u.candidate}: ${u.reason}`),
  ];
  return lines.join('\n');
}
