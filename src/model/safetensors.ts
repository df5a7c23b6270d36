/**
 * safetensors read/write (https://github.com/huggingface/safetensors): u64 little-endian header
 * length, JSON header {name: {dtype, shape, data_offsets}, __metadata__: {str: str}}, raw data.
 * Reading converts F32, F16, BF16 (and F64) to Float32Array; files are untrusted, so the header's
 * length and nesting are bounded before JSON.parse, every offset, size and dtype is checked, and
 * errors name the file and the tensor.
 */
import { readFile } from 'node:fs/promises';
import { CheckpointError, ioError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './float16.js';
import { parseBoundedJson } from './json_file.js';
import { headerLength } from './safetensors_sniff.js';

/** A tensor on the host, row-major. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}
export type StateDict = Map<string, HostTensor>;

export interface SafetensorsContent {
  tensors: StateDict;
  metadata: Record<string, string>;
}

export type StoreDtype = 'F32' | 'F16' | 'BF16';
const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
/** {name: {shape: [..]}} and __metadata__ nest 3 levels; anything deeper is refused before JSON.parse. */
const MAX_HEADER_DEPTH = 4;

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function isEntry(v: unknown): v is Entry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  const ints = (a: unknown, len?: number): boolean =>
    Array.isArray(a) && (len === undefined || a.length === len) && a.every((x) => Number.isSafeInteger(x) && (x as number) >= 0);
  return typeof e.dtype === 'string' && ints(e.shape) && ints(e.data_offsets, 2);
}

function decode(dtype: string, bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.length); // an aligned copy (Buffer#slice would be a view)
  copy.set(bytes);
  switch (dtype) {
    case 'F32':
      return new Float32Array(copy.buffer, 0, copy.length / 4);
    case 'F16':
      return f16ToF32(new Uint16Array(copy.buffer, 0, copy.length / 2));
    case 'BF16':
      return bf16ToF32(new Uint16Array(copy.buffer, 0, copy.length / 2));
    default:
      return Float32Array.from(new Float64Array(copy.buffer, 0, copy.length / 8));
  }
}

/** Parses a whole safetensors file held in memory. `file` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsContent {
  const fail = (msg: string): never => {
    throw new CheckpointError(msg, { file });
  };
  const headerLen = headerLength(bytes.subarray(0, 8), bytes.length, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch (err) {
    throw new CheckpointError(`not a safetensors file: header is not UTF-8 (${(err as Error).message})`, { file, cause: err });
  }
  const header = parseBoundedJson(text, file, 'safetensors header', MAX_HEADER_DEPTH);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('not a safetensors file: header is not an object');
  const data = bytes.subarray(8 + headerLen);
  const tensors: StateDict = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = Object.fromEntries(Object.entries((raw ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      continue;
    }
    if (!isEntry(raw)) fail(`tensor ${JSON.stringify(name)}: malformed header entry`);
    const e = raw as Entry;
    const size = BYTES[e.dtype];
    if (size === undefined) fail(`tensor ${JSON.stringify(name)}: dtype ${e.dtype} is not supported (F32, F16, BF16, F64)`);
    const [begin, end] = e.data_offsets;
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (end < begin || end > data.length) fail(`tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] outside the ${data.length}-byte data section`);
    if (end - begin !== count * size) fail(`tensor ${JSON.stringify(name)}: ${end - begin} bytes for shape [${e.shape}] of ${e.dtype}`);
    tensors.set(name, { shape: [...e.shape], data: decode(e.dtype, data.subarray(begin, end)) });
  }
  return { tensors, metadata };
}

export async function readSafetensors(path: string): Promise<SafetensorsContent> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw ioError(err, path, 'reading a checkpoint');
  }
  return parseSafetensors(bytes, path);
}

function encode(t: HostTensor, dtype: StoreDtype): Uint8Array {
  const arr = dtype === 'F32' ? Float32Array.from(t.data) : dtype === 'F16' ? f32ToF16(t.data) : f32ToBf16(t.data);
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** Serialises tensors (in the map's order) with string metadata; the header is padded to 8 bytes. */
export function serializeSafetensors(tensors: StateDict, metadata: Record<string, string> = {}, dtype: StoreDtype = 'F32'): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = encode(t, dtype);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let pos = 8 + head.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** Writes atomically (temporary name, then rename). */
export async function writeSafetensors(path: string, tensors: StateDict, metadata: Record<string, string> = {}, dtype: StoreDtype = 'F32'): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata, dtype));
}
