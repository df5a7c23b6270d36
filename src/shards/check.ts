/**
 * Small structural validators for untrusted JSON (manifests, shard metadata). Each names the JSON
 * path of the offending value; `fail` decides the error type. Mirrors schemas/manifest.schema.json.
 */
import { show } from '../util/errors.js';

export type Fail = (message: string) => never;

export const MAX_STRING = 4096;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, path: string, fail: Fail, keys: { required: string[]; optional?: string[] }): Record<string, unknown> {
  if (!isObject(v)) return fail(`${path}: expected an object, got ${show(v)}`);
  const allowed = new Set([...keys.required, ...(keys.optional ?? [])]);
  for (const key of Object.keys(v)) if (!allowed.has(key)) fail(`${path}: unknown key ${show(key)}`);
  for (const key of keys.required) if (!(key in v)) fail(`${path}: missing key ${show(key)}`);
  return v;
}

export function int(v: unknown, path: string, fail: Fail, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    return fail(`${path}: expected an integer in [${min}, ${max}], got ${show(v)}`);
  }
  return v;
}

export function finiteNumber(v: unknown, path: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fail(`${path}: expected a finite number, got ${show(v)}`);
  return v;
}

export function str(v: unknown, path: string, fail: Fail, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length > MAX_STRING) return fail(`${path}: expected a string, got ${show(v)}`);
  if (pattern && !pattern.test(v)) return fail(`${path}: ${show(v)} does not match ${pattern.source}`);
  return v;
}

export function oneOf<T extends string | number>(v: unknown, path: string, fail: Fail, values: readonly T[]): T {
  if (!values.includes(v as T)) return fail(`${path}: expected one of ${values.map((x) => show(x)).join(', ')}, got ${show(v)}`);
  return v as T;
}

export function arr(v: unknown, path: string, fail: Fail, min: number, max: number): unknown[] {
  if (!Array.isArray(v) || v.length < min || v.length > max) {
    return fail(`${path}: expected an array of ${min}–${max} items, got ${show(v)}`);
  }
  return v;
}

export function nullable<T>(v: unknown, check: (v: unknown) => T): T | null {
  return v === null ? null : check(v);
}
