import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from './types.js';

/** What a successful attempt knows; the caller adds the request fields. */
export type Facts = Omit<BackendInfo, 'requested' | 'requestedBy' | 'tfjsVersion'>;
export type Attempt = { ok: true; facts: Facts } | { ok: false; reason: string };

/** Switches tfjs-core to `name` and runs a tiny op; tfjs logs init errors, so they are captured. */
export async function activate(name: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  try {
    if (!(await tf.setBackend(name))) {
      const why = warnings.map((w) => w.split('\n')[0]).join('; ') || 'no error message';
      return { ok: false, reason: `backend "${name}" failed to initialise: ${why}` };
    }
    const sum = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]);
    if (sum !== 3) return { ok: false, reason: `backend "${name}" computed 1+2=${sum}` };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `backend "${name}" failed: ${firstLine(err)}` };
  } finally {
    console.warn = warn;
  }
}

export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
