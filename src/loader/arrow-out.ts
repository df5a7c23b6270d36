/**
 * Loader batches as an Arrow IPC stream: the shard schema (same columns, types and `dlth` schema
 * metadata as the shards) then one record batch per loader batch, encoded straight from the batch's
 * typed arrays with the shard writer's framing. Labels of −1 become nulls again.
 */
import { arrowSchema } from '../shards/schema.js';
import { align8, encodeBatchHeader, encodeSchemaMessage, EOS, ZEROS, type BatchLayout } from '../shards/ipc.js';
import type { DatasetMeta } from '../shards/types.js';
import type { Batch } from './batch.js';
import { NO_LABEL } from './resident.js';

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

function bytes(a: Int32Array | Uint16Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class ArrowStreamEncoder {
  private offsets = new Int32Array(0);
  private idBytes = new Uint8Array(0);
  private validity = new Uint8Array(0);

  constructor(readonly meta: DatasetMeta) {}

  schemaMessage(): Uint8Array {
    return encodeSchemaMessage(arrowSchema(this.meta));
  }

  endOfStream(): Uint8Array {
    return EOS;
  }

  /** The framed record batch (header, then padded body buffers). Views stay valid until the next call. */
  encode(batch: Batch): Uint8Array[] {
    const layout = this.layout(batch);
    const parts: Uint8Array[] = [encodeBatchHeader(layout)];
    for (const b of layout.buffers) {
      if (b.byteLength > 0) parts.push(b);
      const pad = align8(b.byteLength) - b.byteLength;
      if (pad > 0) parts.push(ZEROS.subarray(0, pad));
    }
    return parts;
  }

  private layout(batch: Batch): BatchLayout {
    const n = batch.size;
    const k = this.meta.k;
    const kn = n * k;
    const patchBytes = batch.patches.byteLength / Math.max(1, kn);
    const ids = this.encodeIds(batch.ids);
    const nulls = this.encodeValidity(batch.labels);
    return {
      numRows: n,
      nodes: [[n, 0], [n, nulls], [n, 0], [kn, 0], [kn * patchBytes, 0], [n, 0], [kn, 0], [n, 0], [kn, 0]],
      buffers: [
        EMPTY, bytes(ids.offsets), ids.data,
        nulls > 0 ? this.validity.subarray(0, Math.ceil(n / 8)) : EMPTY, bytes(batch.labels),
        EMPTY, EMPTY, EMPTY, batch.patches,
        EMPTY, EMPTY, bytes(batch.positions),
        EMPTY, EMPTY, bytes(batch.scores),
      ],
    };
  }

  private encodeIds(ids: readonly string[]): { offsets: Int32Array; data: Uint8Array } {
    if (this.offsets.length < ids.length + 1) this.offsets = new Int32Array(ids.length + 1);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const need = at + ids[i].length * 3;
      if (need > this.idBytes.length) {
        const grown = new Uint8Array(Math.max(need, this.idBytes.length * 2, 1024));
        grown.set(this.idBytes.subarray(0, at));
        this.idBytes = grown;
      }
      at += utf8.encodeInto(ids[i], this.idBytes.subarray(at)).written;
      this.offsets[i + 1] = at;
    }
    return { offsets: this.offsets.subarray(0, ids.length + 1), data: this.idBytes.subarray(0, at) };
  }

  /** Fills the label validity bitmap; returns the null count. */
  private encodeValidity(labels: Int32Array): number {
    const n = labels.length;
    if (this.validity.length < Math.ceil(n / 8)) this.validity = new Uint8Array(Math.ceil(n / 8));
    this.validity.fill(0);
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] === NO_LABEL) nulls++;
      else this.validity[i >> 3] |= 1 << (i & 7);
    }
    return nulls;
  }
}
