/**
 * Loader batches as an Arrow IPC stream: the shard schema (same columns, types and `dlth` schema
 * metadata as the shards), then one record batch per loader batch, laid out and framed by the
 * shard encoder itself (ticketLayout, frameBatch), so `dlth stream` cannot drift from the shards.
 * Labels of −1 become nulls again.
 */
import { IdLabelColumns } from '../shards/encode/columns.js';
import { ticketLayout } from '../shards/encode/tickets.js';
import { encodeSchemaMessage, EOS, frameBatch } from '../shards/ipc.js';
import { arrowSchema } from '../shards/schema.js';
import type { DatasetMeta } from '../shards/types.js';
import type { Batch } from './batch.js';
import { NO_LABEL } from './resident.js';

export class ArrowStreamEncoder {
  private cols = new IdLabelColumns(0);

  constructor(readonly meta: DatasetMeta) {}

  schemaMessage(): Uint8Array {
    return encodeSchemaMessage(arrowSchema(this.meta));
  }

  endOfStream(): Uint8Array {
    return EOS;
  }

  /** The framed record batch (header, then padded body buffers). Views stay valid until the next call. */
  encode(batch: Batch): Uint8Array[] {
    if (this.cols.capacity < batch.size) this.cols = new IdLabelColumns(batch.size);
    this.cols.reset();
    for (let i = 0; i < batch.size; i++) this.cols.append(batch.ids[i] as string, batch.labels[i] === NO_LABEL ? null : (batch.labels[i] as number));
    return frameBatch(ticketLayout(this.cols, this.meta.k, batch.patches, batch.positions, batch.scores));
  }
}
