/**
 * The first 8 bytes of a safetensors file are its header length (u64, little-endian). When they
 * cannot be one (fewer than 8 bytes, or a length beyond the file or safetensors' limit), the file
 * is something else: say what it is (JSON such as a config.json, a PyTorch zip or pickle, an
 * image, text) instead of quoting a meaningless length.
 */
import { CheckpointError } from '../util/errors.js';

/** safetensors' own limit on the header length. */
export const MAX_HEADER = 100 * 1024 * 1024;

const MAGIC: readonly [bytes: readonly number[], what: string][] = [
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive (PyTorch\'s torch.save format: convert it with safetensors.torch.save_file)'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x89, 0x48, 0x44, 0x46], 'an HDF5 file (Keras .h5)'],
  [[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 'a NumPy .npy array'],
  [[0x1f, 0x8b], 'a gzip file'],
];

const isText = (b: number): boolean => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f);

/** JSON text: printable bytes whose first non-blank one opens an object or an array. */
export function looksLikeJson(head: Uint8Array): boolean {
  const first = head.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  return head.length > 0 && head.every(isText) && (first === 0x7b || first === 0x5b);
}

const hex = (head: Uint8Array): string => Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');

/** What a file that is not safetensors is, from its first bytes. */
export function describeNotSafetensors(head: Uint8Array, length: number, size: number): string {
  if (looksLikeJson(head)) return 'it is JSON (a config file?): pass the model directory or its .safetensors file';
  if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) {
    return 'it is a Python pickle (a PyTorch .bin/.pt/.pth: convert it with safetensors.torch.save_file)';
  }
  const magic = MAGIC.find(([bytes]) => bytes.every((b, i) => head[i] === b));
  if (magic) return `it is ${magic[1]}`;
  if (head.every(isText)) return `it is text (starts ${JSON.stringify(new TextDecoder().decode(head))})`;
  return `the first 8 bytes (${hex(head)}) give a header length of ${length}, beyond the ${size}-byte file`;
}

/** The header length from the first bytes of a `size`-byte file; CheckpointError naming what the file is otherwise. */
export function headerLength(head: Uint8Array, size: number, file: string): number {
  if (head.length < 8 || size < 8) throw new CheckpointError(`not a safetensors file: ${size} bytes`, { file });
  const length = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (length > MAX_HEADER || 8 + length > size) {
    throw new CheckpointError(`not a safetensors file: ${describeNotSafetensors(head.subarray(0, 8), length, size)}`, { file });
  }
  return length;
}
