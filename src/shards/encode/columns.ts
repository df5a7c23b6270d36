/**
 * The id and label columns, shared by every dataset kind: preallocated buffers reused for every
 * record batch (the id bytes grow only when a batch's ids exceed the allowance).
 */
import { ID_ALLOWANCE } from '../layout.js';

const utf8 = new TextEncoder();

export class IdLabelColumns {
  readonly offsets: Int32Array;
  readonly labels: Int32Array;
  readonly validity: Uint8Array;
  idBytes: Uint8Array;
  length = 0;
  nulls = 0;

  constructor(readonly capacity: number) {
    this.offsets = new Int32Array(capacity + 1);
    this.labels = new Int32Array(capacity);
    this.validity = new Uint8Array(Math.ceil(capacity / 8));
    this.idBytes = new Uint8Array(capacity * ID_ALLOWANCE);
  }

  append(id: string, label: number | null): void {
    const i = this.length;
    const start = this.offsets[i];
    const need = start + id.length * 3;
    if (need > this.idBytes.length) {
      const grown = new Uint8Array(Math.max(need, this.idBytes.length * 2));
      grown.set(this.idBytes.subarray(0, start));
      this.idBytes = grown;
    }
    const { written } = utf8.encodeInto(id, this.idBytes.subarray(start));
    this.offsets[i + 1] = start + written;
    if (label === null) {
      this.labels[i] = 0;
      this.nulls++;
    } else {
      this.labels[i] = label;
      this.validity[i >> 3] |= 1 << (i & 7);
    }
    this.length = i + 1;
  }

  reset(): void {
    this.validity.fill(0);
    this.length = 0;
    this.nulls = 0;
  }

  /** Field nodes of id and label. */
  nodes(): Array<[number, number]> {
    return [
      [this.length, 0],
      [this.length, this.nulls],
    ];
  }

  /** Body buffers of id (validity, offsets, data) and label (validity, values). */
  buffers(): Uint8Array[] {
    const n = this.length;
    const validity = this.nulls > 0 ? this.validity.subarray(0, Math.ceil(n / 8)) : new Uint8Array(0);
    return [
      new Uint8Array(0),
      bytes(this.offsets.subarray(0, n + 1)),
      this.idBytes.subarray(0, this.offsets[n]),
      validity,
      bytes(this.labels.subarray(0, n)),
    ];
  }
}

/** A byte view of a typed array (no copy; platform byte order, little-endian on every supported host). */
export function bytes(a: Int32Array | Uint16Array | Uint32Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export const EMPTY = new Uint8Array(0);
