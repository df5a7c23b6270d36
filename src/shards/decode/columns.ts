/**
 * Reading a record batch body against the layout the contract fixes: a cursor over field nodes and
 * buffers that checks every length, null count and buffer bound before handing out typed-array
 * views into the body (no copies; offsets are 8-byte aligned, so every view is aligned).
 */
import { ShardError } from '../../util/errors.js';
import type { BatchHeader } from '../ipc.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class BatchCursor {
  private node = 0;
  private buffer = 0;
  readonly numRows: number;

  constructor(private readonly header: BatchHeader, private readonly body: Uint8Array, private readonly file: string, nodes: number, buffers: number) {
    this.numRows = header.length;
    if (header.compression !== null) this.fail('record batch still compressed (decompress it first: decode/compression.ts)');
    if (!Number.isSafeInteger(this.numRows) || this.numRows < 0) this.fail(`bad row count ${String(header.length)}`);
    if (header.nodes.length !== nodes || header.buffers.length !== buffers) {
      this.fail(`record batch has ${header.nodes.length} field nodes and ${header.buffers.length} buffers, expected ${nodes} and ${buffers}`);
    }
  }

  fail(message: string): never {
    throw new ShardError(message, { file: this.file });
  }

  /** The next field node; checks its length and returns its null count (≤ maxNulls). */
  nextNode(name: string, length: number, maxNulls: number): number {
    const node = this.header.nodes[this.node++];
    if (node.length !== length) this.fail(`column ${name}: ${node.length} values, expected ${length}`);
    if (!(node.nullCount >= 0 && node.nullCount <= maxNulls)) {
      this.fail(`column ${name}: ${node.nullCount} nulls${maxNulls === 0 ? ' in a non-nullable column' : ''}`);
    }
    return node.nullCount;
  }

  /** The next buffer as bytes; at least `minBytes` long (only the first minBytes are returned, or all with `whole`). */
  nextBuffer(name: string, minBytes: number, whole = false): Uint8Array {
    const region = this.header.buffers[this.buffer++];
    const { offset, length } = region;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.body.length) {
      this.fail(`column ${name}: buffer [${offset}, +${length}) lies outside the ${this.body.length}-byte body`);
    }
    if (offset % 8 !== 0) this.fail(`column ${name}: buffer offset ${offset} is not 8-byte aligned`);
    if (length < minBytes) this.fail(`column ${name}: buffer of ${length} bytes, expected at least ${minBytes}`);
    return this.body.subarray(offset, offset + (whole ? length : minBytes));
  }

  /** Skips a validity buffer of a column whose node has no nulls. */
  skipValidity(name: string): void {
    this.nextBuffer(name, 0);
  }
}

export function u16(b: Uint8Array): Uint16Array {
  return new Uint16Array(b.buffer, b.byteOffset, b.byteLength >> 1);
}
export function i32(b: Uint8Array): Int32Array {
  return new Int32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
}
export function f32(b: Uint8Array): Float32Array {
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
}

export interface IdLabel {
  ids: string[];
  /** Label values; entries where `labelValid` has a 0 bit are meaningless. */
  labels: Int32Array;
  /** Validity bitmap (LSB first) or null when no label is null. */
  labelValid: Uint8Array | null;
}

/** Reads the id and label columns (nodes 0–1, buffers 0–4). */
export function readIdLabel(c: BatchCursor): IdLabel {
  const n = c.numRows;
  c.nextNode('id', n, 0);
  c.skipValidity('id');
  const offsets = i32(c.nextBuffer('id', 4 * (n + 1)));
  const data = c.nextBuffer('id', 0, true);
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const a = offsets[i];
    const b = offsets[i + 1];
    if (!(a >= 0 && b >= a && b <= data.length)) c.fail(`column id: bad offsets [${a}, ${b}) at row ${i}`);
    try {
      ids[i] = utf8.decode(data.subarray(a, b));
    } catch {
      c.fail(`column id: row ${i} is not valid UTF-8`);
    }
  }
  const nulls = c.nextNode('label', n, n);
  const validity = c.nextBuffer('label', nulls > 0 ? Math.ceil(n / 8) : 0);
  const labels = i32(c.nextBuffer('label', 4 * n));
  return { ids, labels, labelValid: nulls > 0 ? validity : null };
}

/**
 * Reads a non-null `FixedSizeList<T>[width]` column of `rows` rows (two nodes, two validity
 * buffers, one data buffer of `rows · width · elemBytes` bytes): the data bytes.
 */
export function readFixedList(c: BatchCursor, name: string, rows: number, width: number, elemBytes: number): Uint8Array {
  c.nextNode(name, rows, 0);
  c.nextNode(`${name}.item`, rows * width, 0);
  c.skipValidity(name);
  c.skipValidity(`${name}.item`);
  return c.nextBuffer(name, elemBytes * rows * width);
}

/** The label of row i, or null. */
export function labelAt(batch: IdLabel, i: number): number | null {
  if (batch.labelValid && (batch.labelValid[i >> 3] & (1 << (i & 7))) === 0) return null;
  return batch.labels[i];
}
