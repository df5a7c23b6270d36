/** What the writer needs from a dataset kind's encoder: rows in, one record batch's body out. */
import type { BatchLayout } from '../ipc.js';

export interface BatchEncoder<Row> {
  /** Rows per record batch. */
  readonly capacity: number;
  /** Rows currently buffered. */
  readonly length: number;
  /** Adds a row; throws ShardError/InputError if it does not fit the dataset's shape. */
  append(row: Row): void;
  /** Work the batch needs before `layout` that may not run synchronously (encoding JPEG patches); the writer awaits it. */
  prepare?(): Promise<void>;
  /** The buffered batch: field nodes and body buffers (views into reused memory). */
  layout(): BatchLayout;
  /** Empties the batch, keeping the memory. */
  reset(): void;
}
