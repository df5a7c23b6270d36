/**
 * The one stderr line said when `auto` falls back from native TensorFlow to a much slower backend
 * (the native binding is missing or broken), so a run that will take 30× longer is never silent.
 *
 * Slowdowns are a DeiT-small forward (224 px, batch 4) on a 2-core machine, tfjs 4.22: native
 * 242 ms/img, wasm 8,162 ms/img (34×); the cpu backend is slower still.
 */
import type { BackendInfo, Candidate, Unavailable } from './types.js';

/** Measured slowdown against native TensorFlow (see the file comment). */
export const SLOWDOWN_VS_NATIVE: Partial<Record<Candidate, string>> = { wasm: '34×', cpu: 'over 34×' };

/** The notice, or undefined when no fallback from native happened (or one was asked for). */
export function fallbackNotice(info: BackendInfo, failed: readonly Unavailable[]): string | undefined {
  if (info.requested !== 'auto' || (info.backend !== 'wasm' && info.backend !== 'cpu')) return undefined;
  const native = failed.find((f) => f.candidate === 'tensorflow');
  if (!native) return undefined;
  const slower = SLOWDOWN_VS_NATIVE[info.backend] ?? 'much';
  return `dlth: warning: native TensorFlow is unavailable (${native.reason}); falling back to ${info.backend}, `
    + `about ${slower} slower (force a backend with --backend or DLTH_BACKEND; details: dlth doctor)`;
}

let said = false;

/** Writes the notice once per process (selection is cached, but a re-selection must not repeat it). */
export function sayFallback(info: BackendInfo, failed: readonly Unavailable[], write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const line = fallbackNotice(info, failed);
  if (line === undefined || said) return;
  said = true;
  write(line);
}
