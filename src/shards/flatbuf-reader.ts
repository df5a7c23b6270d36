/**
 * A bounded, checking reader of flatbuffer tables, vectors and strings for untrusted bytes: every
 * offset it follows and every length it returns is validated against the buffer, and the whole walk
 * has a budget (tables visited, string bytes referenced), so a crafted buffer whose references form
 * a DAG (many entries sharing one subtree) cannot make the walk — or the decoder that repeats it —
 * explode. The flatbuffers JS runtime checks nothing: an out-of-range read of a Uint8Array yields
 * `undefined`, which its bitwise arithmetic turns into 0, so garbage never throws there.
 *
 * Offsets here are flatbuffers' "vtable offsets" (4, 6, 8, … = 4 + 2·field index), as in the
 * generated code of apache-arrow/fb/*.mjs, so the two can be read side by side.
 */
import { ShardError } from '../util/errors.js';

export interface Budget {
  /** Tables (and vector entries that are tables) still allowed. */
  tables: number;
  /** String bytes still allowed (a string referenced twice counts twice). */
  stringBytes: number;
}

/** A position of a validated table: its vtable, checked to lie inside the buffer. */
export interface Table {
  pos: number;
  vtable: number;
  vtableSize: number;
}

export class FlatReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly budget: Budget,
    private readonly file?: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(what: string, reason: string): never {
    throw new ShardError(`flatbuffer ${what}: ${reason}`, this.file ? { file: this.file } : {});
  }

  /** Checks that [pos, pos + size) lies inside the buffer. */
  span(pos: number, size: number, what: string): void {
    if (!(pos >= 0 && size >= 0 && pos + size <= this.bytes.byteLength)) {
      this.fail(what, `${size} byte(s) at offset ${pos} lie outside the ${this.bytes.byteLength}-byte flatbuffer`);
    }
  }

  i32(pos: number, what: string): number {
    this.span(pos, 4, what);
    return this.view.getInt32(pos, true);
  }

  /** Follows the uoffset stored at `pos` (always forward, never 0). */
  deref(pos: number, what: string): number {
    const rel = this.i32(pos, what);
    if (rel <= 0) this.fail(what, `offset ${rel} at ${pos} does not point forward`);
    return pos + rel;
  }

  /** Validates the table at `pos`: its vtable (inside the buffer, sane sizes) and its inline object. */
  table(pos: number, what: string): Table {
    if (--this.budget.tables < 0) this.fail(what, 'too many tables (a flatbuffer of shared or repeated subtrees)');
    const vtable = pos - this.i32(pos, what);
    this.span(vtable, 4, `${what} vtable`);
    // int16 on purpose: flatbuffers' __offset compares against readInt16 (a size ≥ 0x8000 is negative there).
    const vtableSize = this.view.getInt16(vtable, true);
    const objectSize = this.view.getInt16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0) this.fail(what, `vtable size ${vtableSize}`);
    this.span(vtable, vtableSize, `${what} vtable`);
    if (objectSize < 4) this.fail(what, `table size ${objectSize}`);
    this.span(pos, objectSize, what);
    return { pos, vtable, vtableSize };
  }

  /** Absolute position of field `slot` (a vtable offset: 4, 6, …) of `t`, or 0 when absent; checks `size` bytes. */
  field(t: Table, slot: number, size: number, what: string): number {
    if (slot >= t.vtableSize) return 0;
    const rel = this.view.getInt16(t.vtable + slot, true);
    if (rel === 0) return 0;
    if (rel < 4) this.fail(what, `field offset ${rel}`);
    this.span(t.pos + rel, size, what);
    return t.pos + rel;
  }

  /** The table referenced by field `slot` of `t` (or a union's value), validated; null when absent. */
  child(t: Table, slot: number, what: string): Table | null {
    const at = this.field(t, slot, 4, what);
    return at === 0 ? null : this.table(this.deref(at, what), what);
  }

  /** A vector field: its element count (0 … max) and first element, every element inside the buffer. */
  vector(t: Table, slot: number, elementSize: number, max: number, what: string): { start: number; length: number } {
    const at = this.field(t, slot, 4, what);
    if (at === 0) return { start: 0, length: 0 };
    const v = this.deref(at, what);
    const length = this.i32(v, `${what} length`);
    if (length < 0 || length > max) this.fail(what, `${length} entries (at most ${max} accepted)`);
    this.span(v + 4, length * elementSize, what);
    return { start: v + 4, length };
  }

  /** A vector of tables: each entry's table, validated. */
  tables(t: Table, slot: number, max: number, what: string): Table[] {
    const { start, length } = this.vector(t, slot, 4, max, what);
    const out: Table[] = [];
    for (let i = 0; i < length; i++) out.push(this.table(this.deref(start + 4 * i, `${what}[${i}]`), `${what}[${i}]`));
    return out;
  }

  /** A string field: its bytes inside the buffer, counted against the budget. */
  string(t: Table, slot: number, what: string): void {
    const at = this.field(t, slot, 4, what);
    if (at === 0) return;
    const s = this.deref(at, what);
    const length = this.i32(s, `${what} length`);
    if (length < 0) this.fail(what, `string length ${length}`);
    this.span(s + 4, length, what);
    this.budget.stringBytes -= length;
    if (this.budget.stringBytes < 0) this.fail(what, 'too many string bytes (strings referenced repeatedly)');
  }

  /** An int64 field as a number, required to be a safe non-negative integer (0 when absent). */
  count(t: Table, slot: number, what: string): number {
    const at = this.field(t, slot, 8, what);
    return at === 0 ? 0 : this.safeInt64(at, what);
  }

  /** The int64 at `pos`, required to be in [0, 2^53). */
  safeInt64(pos: number, what: string): number {
    this.span(pos, 8, what);
    const v = this.view.getBigInt64(pos, true);
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(what, `${v} is not a non-negative safe integer`);
    return Number(v);
  }

  /** A uint8 field (default when absent). */
  u8(t: Table, slot: number, fallback: number, what: string): number {
    const at = this.field(t, slot, 1, what);
    return at === 0 ? fallback : this.bytes[at];
  }

  /** An int16 field (default when absent). */
  i16(t: Table, slot: number, fallback: number, what: string): number {
    const at = this.field(t, slot, 2, what);
    return at === 0 ? fallback : this.view.getInt16(at, true);
  }
}
