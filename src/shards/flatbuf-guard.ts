/**
 * The guard run on every Arrow IPC message flatbuffer before apache-arrow decodes it.
 *
 * Why: apache-arrow 21.2's `Message.decode` / `Message.header()` trust the flatbuffer completely.
 * Its decoders loop `for (i = 0; i < n; i++)` over `n = xxxLength()`, an int32 read from an
 * unchecked offset (`decodeSchemaFields`, `decodeFieldChildren`, `decodeCustomMetadata`,
 * `decodeFieldNodes`, `decodeBuffers`, `decodeVariadicBufferCounts`, and the message's own
 * custom metadata), and recurse through `Field.children` with no depth limit; the flatbuffers JS
 * runtime never bounds-checks (an out-of-range read gives `undefined`, which `|`/`<<` turn into 0),
 * so every iteration "succeeds". One flipped byte that moves an offset onto other data yields a
 * length like 1,835,365,481 (fuzz case 23, seed 1: a Field's children vector length 1 → 19, whose
 * stray 2nd child reads customMetadataLength from the bytes "item"): ~2 minutes of synchronous
 * CPU per such loop, and children of children multiply it — `dlth verify` never returns.
 *
 * What: a bounded walk of exactly what apache-arrow will read — root, every table's vtable,
 * every field inside the buffer, every vector/string length × element size inside the buffer,
 * caps on counts and on Field nesting depth, a budget of tables and string bytes (shared
 * subtrees) — and only the message kinds our format has: Schema and RecordBatch, metadata
 * version V4/V5, little-endian, no dictionary encoding. Cost: one pass over the few hundred
 * bytes of a schema or batch header, per message.
 */
import { MessageHeader } from 'apache-arrow';
import { FlatReader, type Table } from './flatbuf-reader.js';

/** Caps (the format needs: 5 fields, 2 levels of children, 1 metadata entry, 9 nodes, 15 buffers). */
export const GUARD_LIMITS = {
  fields: 64,
  children: 16,
  depth: 8,
  metadata: 64,
  nodes: 1024,
  buffers: 4096,
  variadicCounts: 64,
  tables: 4096,
} as const;

/** MetadataVersion V4 and V5 (older ones change the buffer layout apache-arrow decodes). */
const VERSIONS = new Set([3, 4]);
const TYPE_NAMES = ['NONE', 'Null', 'Int', 'FloatingPoint', 'Binary', 'Utf8', 'Bool', 'Decimal', 'Date', 'Time', 'Timestamp', 'Interval',
  'List', 'Struct_', 'Union', 'FixedSizeBinary', 'FixedSizeList', 'Map', 'Duration', 'LargeBinary', 'LargeUtf8', 'LargeList',
  'RunEndEncoded', 'BinaryView', 'Utf8View', 'ListView', 'LargeListView'];

/** Fields apache-arrow reads from each type table (by Type id): [vtable offset, scalar size | 'string' | 'int32s']. */
const TYPE_FIELDS: Partial<Record<number, readonly (readonly [number, number | 'string' | 'int32s'])[]>> = {
  2: [[4, 4], [6, 1]], // Int: bitWidth, is_signed
  3: [[4, 2]], // FloatingPoint: precision
  7: [[4, 4], [6, 4], [8, 4]], // Decimal: precision, scale, bitWidth
  8: [[4, 2]], // Date: unit
  9: [[4, 2], [6, 4]], // Time: unit, bitWidth
  10: [[4, 2], [6, 'string']], // Timestamp: unit, timezone
  11: [[4, 2]], // Interval: unit
  14: [[4, 2], [6, 'int32s']], // Union: mode, typeIds
  15: [[4, 4]], // FixedSizeBinary: byteWidth
  16: [[4, 4]], // FixedSizeList: listSize
  17: [[4, 1]], // Map: keysSorted
  18: [[4, 2]], // Duration: unit
};

function keyValues(r: FlatReader, t: Table, slot: number, what: string): void {
  for (const [i, kv] of r.tables(t, slot, GUARD_LIMITS.metadata, what).entries()) {
    r.string(kv, 4, `${what}[${i}].key`);
    r.string(kv, 6, `${what}[${i}].value`);
  }
}

/** Types apache-arrow builds from `children[0]` (its getters and toString throw a TypeError without it). */
const LIST_TYPES = new Set([12, 16, 17, 21]); // List, FixedSizeList, Map, LargeList
const STRUCT = 13;
const MAP = 17;

/** Validates a field's type table; returns its Type id. */
function fieldType(r: FlatReader, f: Table, what: string): number {
  const typeId = r.u8(f, 8, 0, `${what}.type_type`);
  if (typeId >= TYPE_NAMES.length) r.fail(`${what}.type_type`, `unknown type id ${typeId}`);
  const at = `${what}.type (${TYPE_NAMES[typeId]})`;
  const type = r.child(f, 10, at);
  if (!type) return typeId;
  for (const [slot, kind] of TYPE_FIELDS[typeId] ?? []) {
    if (kind === 'string') r.string(type, slot, at);
    else if (kind === 'int32s') r.vector(type, slot, 4, GUARD_LIMITS.children, at);
    else r.field(type, slot, kind, at);
  }
  return typeId;
}

/** Validates a field and its children; returns its Type id and number of children. */
function field(r: FlatReader, f: Table, depth: number, what: string): { typeId: number; children: number } {
  if (depth > GUARD_LIMITS.depth) r.fail(what, `fields nested more than ${GUARD_LIMITS.depth} deep`);
  r.string(f, 4, `${what}.name`);
  r.field(f, 6, 1, `${what}.nullable`);
  const typeId = fieldType(r, f, what);
  if (r.field(f, 12, 4, `${what}.dictionary`) !== 0) r.fail(what, 'dictionary-encoded field (the format has no dictionaries)');
  const children = r.tables(f, 14, GUARD_LIMITS.children, `${what}.children`).map((c, i) => field(r, c, depth + 1, `${what}.children[${i}]`));
  if (LIST_TYPES.has(typeId) && children.length !== 1) r.fail(what, `${TYPE_NAMES[typeId]} field with ${children.length} children (exactly 1 required)`);
  if (typeId === MAP && (children[0].typeId !== STRUCT || children[0].children !== 2)) r.fail(what, 'Map field whose child is not a struct of 2 fields');
  keyValues(r, f, 16, `${what}.custom_metadata`);
  return { typeId, children: children.length };
}

function schema(r: FlatReader, s: Table): void {
  if (r.i16(s, 4, 0, 'schema.endianness') !== 0) r.fail('schema.endianness', 'big-endian data is not supported');
  for (const [i, f] of r.tables(s, 6, GUARD_LIMITS.fields, 'schema.fields').entries()) field(r, f, 0, `schema.fields[${i}]`);
  keyValues(r, s, 8, 'schema.custom_metadata');
  r.vector(s, 10, 8, GUARD_LIMITS.variadicCounts, 'schema.features');
}

function recordBatch(r: FlatReader, b: Table): void {
  r.count(b, 4, 'record batch length');
  const structs = (slot: number, max: number, what: string): void => {
    const { start, length } = r.vector(b, slot, 16, max, what);
    for (let i = 0; i < 2 * length; i++) r.safeInt64(start + 8 * i, `${what}[${i >> 1}]`);
  };
  structs(6, GUARD_LIMITS.nodes, 'record batch nodes');
  structs(8, GUARD_LIMITS.buffers, 'record batch buffers');
  const compression = r.child(b, 10, 'record batch compression');
  if (compression) {
    r.field(compression, 4, 1, 'record batch compression.codec');
    r.field(compression, 6, 1, 'record batch compression.method');
  }
  const { start, length } = r.vector(b, 12, 8, GUARD_LIMITS.variadicCounts, 'record batch variadicBufferCounts');
  for (let i = 0; i < length; i++) r.safeInt64(start + 8 * i, `record batch variadicBufferCounts[${i}]`);
}

/**
 * Validates an IPC message flatbuffer (without its 8-byte prefix) before apache-arrow decodes it.
 * Returns the header type (Schema or RecordBatch); throws a ShardError (naming `file` when given)
 * for anything apache-arrow could misread, loop on or recurse into.
 */
export function guardMessage(bytes: Uint8Array, file?: string): MessageHeader {
  const r = new FlatReader(bytes, { tables: GUARD_LIMITS.tables, stringBytes: 2 * bytes.byteLength + 4096 }, file);
  const m = r.table(r.deref(0, 'root offset'), 'message');
  const version = r.i16(m, 4, 0, 'message.version');
  if (!VERSIONS.has(version)) r.fail('message.version', `metadata version ${version} is not supported (V4 or V5 required)`);
  const type = r.u8(m, 6, MessageHeader.NONE, 'message.header_type');
  if (type !== MessageHeader.Schema && type !== MessageHeader.RecordBatch) {
    const name = MessageHeader[type as MessageHeader] ?? String(type);
    r.fail('message.header_type', `${name} messages are not allowed (only Schema and RecordBatch: the format has no dictionaries or tensors)`);
  }
  r.count(m, 10, 'message.bodyLength');
  keyValues(r, m, 12, 'message.custom_metadata');
  const header = r.child(m, 8, 'message.header');
  if (!header) return r.fail('message.header', 'missing');
  if (type === MessageHeader.Schema) schema(r, header);
  else recordBatch(r, header);
  return type;
}
