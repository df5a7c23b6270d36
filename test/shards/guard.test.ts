/**
 * The flatbuffer guard (src/shards/flatbuf-guard.ts): hand-made corrupt message flatbuffers —
 * including the exact schema bytes of fuzz case 23 (seed 1), which made apache-arrow loop for
 * minutes — must be refused with a ShardError, quickly. The risky call (`decodeMessage`, which
 * hands the bytes to apache-arrow) runs in a worker thread terminated after a deadline, so a
 * regression fails as "hang" instead of hanging the suite. Valid shards of every shape still parse.
 * Also the JSON nesting bound of manifests (src/shards/json-depth.ts).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Field, FixedSizeList, Null, Schema, Struct, Uint8 } from 'apache-arrow';
import { guardMessage, GUARD_LIMITS } from '../../src/shards/flatbuf-guard.js';
import { decodeMessage, encodeBatchHeader, encodeSchemaMessage, MessageHeader } from '../../src/shards/ipc.js';
import { jsonTooDeep } from '../../src/shards/json-depth.js';
import { MAX_MANIFEST_DEPTH, parseManifest } from '../../src/shards/manifest.js';
import { arrowSchema } from '../../src/shards/schema.js';
import { DatasetKind } from '../../src/shards/types.js';
import { ManifestError, ShardError } from '../../src/util/errors.js';
import { makeMeta, makeScoreRows, makeTicketRows, tempDir, writeScores, writeTickets } from './helpers.js';

const DEADLINE_MS = 5_000;

/**
 * Fuzz case 23 with the default seed (test/reliability/fuzz.test.ts, DLTH_FUZZ_SEED=1): the schema
 * message flatbuffer of shard-00001.arrow (meta: image 16, patch 4, 1 channel, k 5), 896 bytes,
 * with byte 636 (the length of the `patches` field's children vector) flipped from 1 to 19. The
 * stray second child is read from the bytes of other tables: its custom_metadata length comes out
 * as 1,835,365,481, and apache-arrow's decodeCustomMetadata loops that many times (~2 min of CPU).
 */
const CASE_23 = Buffer.from([
  'EAAAAAAACgAOAAwABwAIAAoAAAAAAAABEAAAAAQACgAMAAAACAAEAAoAAAAIAAAAUAEAAAEAAAAMAAAACAAMAAgABAAIAAAACAAA',
  'ACgBAAAcAQAAeyJjaGFubmVscyI6MSwiZm9ybWF0IjoiZGx0aCIsImdyaWQiOls0LDRdLCJpbWFnZVNpemUiOlsxNiwxNl0sImsi',
  'OjUsImtlZXAiOjAuMzEyNSwia2luZCI6InRpY2tldHMiLCJtZWFuIjpbMC41XSwibnVtQ2xhc3NlcyI6MTAsInBhdGNoU2l6ZSI6',
  'NCwicG9saWN5IjoicmFuZG9tIiwic2VlZCI6Nywic2VsZWN0b3IiOm51bGwsInNvdXJjZSI6eyJjbGFzc2VzIjpudWxsLCJmaW5n',
  'ZXJwcmludCI6InNoYTI1Njp0ZXN0Iiwia2luZCI6InN5bnRoZXRpYyJ9LCJzdGQiOlswLjI1XSwidmVyc2lvbiI6MX0AAAAABAAA',
  'AGRsdGgAAAAABQAAANABAACAAQAA0AAAAGwAAAAEAAAAVP7//xAAAAAYAAAAAAAAEEwAAAAGAAAAc2NvcmVzAAABAAAABAAAAHz+',
  '//8QAAAAGAAAAAAAAAMcAAAABAAAAGl0ZW0AAAAAAAAAAAAABgAIAAYABgAAAAAAAQAK////BQAAALj+//8QAAAAHAAAAAAAABBI',
  'AAAACQAAAHBvc2l0aW9ucwAAAAEAAAAEAAAA5P7//xAAAAAYAAAAAAAAAhQAAAAEAAAAaXRlbQAAAAAAAAAAYv///xAAAABq////',
  'BQAAABj///8QAAAAGAAAAAAAABCEAAAABwAAAHBhdGNoZXMAEwAAAAQAAABA////EAAAABgAAAAAAAAQTAAAAAQAAABpdGVtAAAA',
  'AAEAAAAEAAAAaP///xAAAAAYAAAAAAAAAhQAAAAEAAAAaXRlbQAAAAAAAAAA9v///wgAAAAAAAYACgAEAAYAAAAQAAAAAAAGAAgA',
  'BAAGAAAABQAAABAAGAAEAAsAEwAUAAAADAAQAAAAFAAAAAAAAAEYAAAAAAAAAhwAAAAFAAAAbGFiZWwAAAAAAAAACAAMAAgABwAI',
  'AAAAAAAAASAAAAAQABQABAAAAA8AEAAAAAgAEAAAABAAAAAUAAAAAAAABRQAAAACAAAAaWQAAAAAAAAEAAQABAAAAAAAAAA=',
].join(''), 'base64');

/** Runs decodeMessage in a worker: its outcome, or 'hang' when the deadline passes (the worker is then replaced). */
class Sandbox {
  private worker: Worker | null = null;
  private start(): Worker {
    const tsx = import.meta.resolve('tsx/esm/api');
    const ipc = new URL('../../src/shards/ipc.ts', import.meta.url).href;
    const code = `const { parentPort } = require('node:worker_threads');
      (async () => {
        const { register } = await import(${JSON.stringify(tsx)});
        register();
        const { decodeMessage } = await import(${JSON.stringify(ipc)});
        parentPort.on('message', (bytes) => {
          try {
            const m = decodeMessage(bytes, 'shard.arrow');
            parentPort.postMessage({ ok: true, type: m.type });
          } catch (e) {
            parentPort.postMessage({ ok: false, name: e.name, code: e.code, message: e.message });
          }
        });
      })();`;
    return new Worker(code, { eval: true });
  }
  decode(bytes: Uint8Array): Promise<Outcome | 'hang'> {
    const w = (this.worker ??= this.start());
    return new Promise((resolve) => {
      // The first call also waits for the worker to start (tsx compiling the sources).
      const timer = setTimeout(() => {
        void w.terminate();
        this.worker = null;
        resolve('hang');
      }, DEADLINE_MS + (this.started ? 0 : 20_000));
      w.once('message', (o: Outcome) => {
        clearTimeout(timer);
        this.started = true;
        resolve(o);
      });
      w.postMessage(bytes);
    });
  }
  private started = false;
  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

interface Outcome {
  ok: boolean;
  type?: number;
  name?: string;
  code?: string;
  message?: string;
}

const sandbox = new Sandbox();
after(() => sandbox.close());

/** Expects a ShardError naming the file, whose message matches `reason`. */
async function refused(bytes: Uint8Array, reason: RegExp, name = ''): Promise<void> {
  const o = await sandbox.decode(bytes);
  const label = name ? `${name}: ` : '';
  if (o === 'hang') assert.fail(`${label}decodeMessage did not return within ${DEADLINE_MS} ms`);
  assert.equal(o.ok, false, `${label}accepted`);
  assert.equal(o.name, 'ShardError', `${label}${o.message}`);
  assert.equal(o.code, 'E_SHARD');
  assert.match(o.message ?? '', /^shard\.arrow: flatbuffer /, label);
  assert.match(o.message ?? '', reason, label);
}

// Little flatbuffer navigation helpers (vtable offsets 4, 6, … as in apache-arrow/fb/*.mjs).
const i32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getInt32(at, true);
const setI32 = (b: Uint8Array, at: number, v: number): void => new DataView(b.buffer, b.byteOffset).setInt32(at, v, true);
const setI16 = (b: Uint8Array, at: number, v: number): void => new DataView(b.buffer, b.byteOffset).setInt16(at, v, true);
/** Absolute position of a table field (0 when absent), read as flatbuffers' ByteBuffer.__offset does. */
function fieldAt(b: Uint8Array, table: number, slot: number): number {
  const view = new DataView(b.buffer, b.byteOffset);
  const vt = table - i32(b, table);
  const o = slot < view.getInt16(vt, true) ? view.getInt16(vt + slot, true) : 0;
  return o === 0 ? 0 : table + o;
}
const deref = (b: Uint8Array, at: number): number => at + i32(b, at);
/** A vector field: the position of its length word and of each entry. */
function vectorAt(b: Uint8Array, table: number, slot: number): { lengthAt: number; entry: (i: number) => number } {
  const v = deref(b, fieldAt(b, table, slot));
  return { lengthAt: v, entry: (i) => v + 4 + 4 * i };
}
const messageTable = (b: Uint8Array): number => i32(b, 0);
const headerTable = (b: Uint8Array): number => deref(b, fieldAt(b, messageTable(b), 8));
const schemaField = (b: Uint8Array, i: number): number => deref(b, vectorAt(b, headerTable(b), 6).entry(i));

const TICKETS = makeMeta({ image: 16, patch: 4, channels: 1, k: 5 });
/** A valid schema message flatbuffer (no 8-byte prefix), fresh each call. */
const schemaFb = (schema = arrowSchema(TICKETS)): Uint8Array => encodeSchemaMessage(schema).slice(8);
const batchFb = (): Uint8Array =>
  encodeBatchHeader({ numRows: 2, nodes: [[2, 0], [2, 1]], buffers: [new Uint8Array(3), new Uint8Array(8), new Uint8Array(16)] }).slice(8);

test('fuzz case 23: the exact corrupt schema is refused at once, not decoded for minutes', async () => {
  assert.equal(CASE_23.length, 896);
  // The root cause, read the way apache-arrow's accessors read it: a stray child with a ~1.8e9-entry vector.
  const children = vectorAt(CASE_23, schemaField(CASE_23, 2), 14);
  assert.equal(i32(CASE_23, children.lengthAt), 19);
  const stray = deref(CASE_23, children.entry(1));
  assert.equal(i32(CASE_23, vectorAt(CASE_23, stray, 16).lengthAt), 1_835_365_481);
  const t0 = performance.now();
  assert.throws(() => guardMessage(CASE_23, 'shard.arrow'), (e: unknown) => e instanceof ShardError && /shard\.arrow: flatbuffer schema\.fields\[2\]\.children: 19 entries/.test(e.message));
  assert.ok(performance.now() - t0 < 1000);
  await refused(CASE_23, /schema\.fields\[2\]\.children/);
  // Flipping the byte back gives the writer's valid schema.
  const fixed = Buffer.from(CASE_23);
  fixed[636] = 1;
  assert.deepEqual(fixed, Buffer.from(schemaFb()));
  assert.equal(decodeMessage(fixed).type, MessageHeader.Schema);
});

test('the same corruption below the children cap is caught at the stray child (its metadata length)', async () => {
  const b = Buffer.from(CASE_23);
  b[636] = 2;
  await refused(b, /schema\.fields\[2\]\.children\[1\]/);
});

test('corrupt lengths and offsets anywhere in a schema message are refused', async () => {
  const edits: [string, (b: Uint8Array) => void, RegExp][] = [
    ['root offset out of the buffer', (b) => setI32(b, 0, 0x7ffffff0), /message: 4 byte\(s\) at offset 2147483632 lie outside the 896-byte flatbuffer/],
    ['root offset backwards', (b) => setI32(b, 0, -8), /root offset: offset -8/],
    ['message vtable outside', (b) => setI32(b, messageTable(b), -0x100000), /message vtable/],
    ['odd vtable size', (b) => setI16(b, messageTable(b) - i32(b, messageTable(b)), 7), /message: vtable size 7/],
    ['fields vector length 2^31-1', (b) => setI32(b, vectorAt(b, headerTable(b), 6).lengthAt, 0x7fffffff), /schema\.fields: 2147483647 entries \(at most 64/],
    ['fields vector length negative', (b) => setI32(b, vectorAt(b, headerTable(b), 6).lengthAt, -1), /schema\.fields: -1 entries/],
    ['fields vector length within cap, past the buffer', (b) => setI32(b, vectorAt(b, headerTable(b), 6).lengthAt, 60), /schema\.fields(\[\d+\])?.*(outside|offset|vtable)/],
    ['schema metadata 10^9 entries', (b) => setI32(b, vectorAt(b, headerTable(b), 8).lengthAt, 1e9), /schema\.custom_metadata: 1000000000 entries/],
    ['field name longer than the buffer', (b) => setI32(b, deref(b, fieldAt(b, schemaField(b, 0), 4)), 1 << 20), /schema\.fields\[0\]\.name: 1048576 byte/],
    ['FixedSizeList without children', (b) => setI32(b, vectorAt(b, schemaField(b, 2), 14).lengthAt, 0), /FixedSizeList field with 0 children \(exactly 1 required\)/],
    ['unknown type id', (b) => { b[fieldAt(b, schemaField(b, 0), 8)] = 99; }, /type_type: unknown type id 99/],
    ['DictionaryBatch header type', (b) => { b[fieldAt(b, messageTable(b), 6)] = 2; }, /DictionaryBatch messages are not allowed/],
    ['Tensor header type', (b) => { b[fieldAt(b, messageTable(b), 6)] = 4; }, /Tensor messages are not allowed/],
    ['metadata version V3', (b) => setI16(b, fieldAt(b, messageTable(b), 4), 2), /metadata version 2 is not supported/],
  ];
  for (const [name, edit, reason] of edits) {
    const b = schemaFb();
    edit(b);
    await refused(b, reason, name);
  }
});

test('shared subtrees (a DAG of Field.children) exhaust the table budget instead of the CPU', async () => {
  // A spine of structs, each with 16 children: child 0 the next struct, 1–15 Null leaves. Then
  // every children entry is pointed at child 0: 16^6 ≈ 1.7e7 paths, apache-arrow would decode each.
  const levels = 6;
  let type: Struct | Null = new Null();
  for (let i = 0; i < levels; i++) type = new Struct([new Field('s', type, true), ...Array.from({ length: 15 }, (_, j) => new Field(`n${j}`, new Null(), true))]);
  const b = schemaFb(new Schema([new Field('root', type, true)]));
  guardMessage(b);
  let field = schemaField(b, 0);
  for (let i = 0; i < levels; i++) {
    const v = vectorAt(b, field, 14);
    const spine = deref(b, v.entry(0));
    for (let j = 1; j < 16; j++) setI32(b, v.entry(j), spine - v.entry(j));
    field = spine;
  }
  await refused(b, /too many tables/);
});

test('fields nested deeper than the cap are refused', async () => {
  let type: FixedSizeList | Uint8 = new Uint8();
  for (let i = 0; i <= GUARD_LIMITS.depth; i++) type = new FixedSizeList(2, new Field('item', type, false));
  await refused(schemaFb(new Schema([new Field('deep', type, false)])), /nested more than 8 deep/);
});

test('corrupt record-batch headers are refused', async () => {
  const nodes = (b: Uint8Array): number => vectorAt(b, headerTable(b), 6).lengthAt;
  const buffers = (b: Uint8Array): number => vectorAt(b, headerTable(b), 8).lengthAt;
  const edits: [string, (b: Uint8Array) => void, RegExp][] = [
    ['nodes vector length 2^31-1', (b) => setI32(b, nodes(b), 0x7fffffff), /record batch nodes: 2147483647 entries/],
    ['buffers vector past the buffer', (b) => setI32(b, buffers(b), 1000), /record batch buffers: 16000 byte\(s\)/],
    ['negative buffer offset', (b) => setI32(b, buffers(b) + 4 + 16 + 4, -1), /record batch buffers\[1\]: -\d+ is not a non-negative safe integer/],
    ['node length 2^63-1', (b) => { setI32(b, nodes(b) + 4 + 4, 0x7fffffff); setI32(b, nodes(b) + 4, -1); }, /record batch nodes\[0\]: 9223372036854775807 is not/],
    ['header offset past the buffer', (b) => setI32(b, fieldAt(b, messageTable(b), 8), 1 << 24), /message\.header/],
  ];
  for (const [name, edit, reason] of edits) {
    const b = batchFb();
    assert.equal(decodeMessage(b).type, MessageHeader.RecordBatch);
    edit(b);
    await refused(b, reason, name);
  }
});

test('every message of valid ticket and score datasets of several shapes passes the guard, quickly', async () => {
  const metas = [
    makeMeta({ image: 16, patch: 4, channels: 1, k: 5 }),
    makeMeta({ image: 32, patch: 8, channels: 3, k: 1 }),
    makeMeta({ image: 28, patch: 7, channels: 1, k: 16, numClasses: null }),
    makeMeta({ image: 64, patch: 8, channels: 3, k: 40 }),
    makeMeta({ kind: DatasetKind.Scores }),
    makeMeta({ kind: DatasetKind.Scores, image: 28, patch: 4, channels: 1 }),
  ];
  let messages = 0;
  let guardMs = 0;
  for (const meta of metas) {
    const dir = await tempDir();
    if (meta.kind === DatasetKind.Scores) await writeScores(dir, meta, makeScoreRows(meta, 30), { shardBytes: 65_536 });
    else await writeTickets(dir, meta, makeTicketRows(meta, 30), { shardBytes: 65_536 });
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.arrow'))) {
      const bytes = await readFile(join(dir, name));
      let at = 0;
      for (let len = bytes.readInt32LE(at + 4); len !== 0; len = bytes.readInt32LE(at + 4)) {
        const fb = bytes.subarray(at + 8, at + 8 + len);
        const t0 = performance.now();
        const type = guardMessage(fb, name);
        guardMs += performance.now() - t0;
        const m = decodeMessage(fb, name);
        assert.equal(m.type, type);
        assert.equal(type, at === 0 ? MessageHeader.Schema : MessageHeader.RecordBatch);
        at += 8 + len + m.bodyLength;
        messages++;
      }
      assert.equal(at + 8, bytes.length);
    }
  }
  assert.ok(messages >= 2 * metas.length);
  assert.ok(guardMs / messages < 5, `guard ${(guardMs / messages).toFixed(3)} ms per message`);
});

test('manifest JSON nesting is bounded before JSON.parse (escapes and strings handled)', () => {
  assert.equal(jsonTooDeep('[[[', 3), -1);
  assert.equal(jsonTooDeep('[[[[', 3), 3);
  assert.equal(jsonTooDeep('{"a":[{"b":[1]}]}', 4), -1);
  assert.equal(jsonTooDeep('{"a":[{"b":[[1]]}]}', 4), 12);
  assert.equal(jsonTooDeep('["[[[[[[", "\\"[[[[", "\\\\"]', 1), -1);
  assert.equal(jsonTooDeep('["\\\\", [[', 2), 8);
  assert.equal(jsonTooDeep(']]]][[', 2), -1);
  for (const text of ['['.repeat(1_000_000), `{"a":${'{"b":'.repeat(40)}1${'}'.repeat(41)}`]) {
    assert.throws(() => parseManifest(Buffer.from(text), '/d/manifest.json'),
      (e: unknown) => e instanceof ManifestError && e.message.startsWith(`/d/manifest.json: JSON nested deeper than ${MAX_MANIFEST_DEPTH} levels`));
  }
  // Brackets inside strings are not nesting: this fails later, on structure, not on depth.
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ format: '['.repeat(100) })), 'manifest.json'), (e: unknown) => e instanceof ManifestError && !/nested/.test(e.message));
});
