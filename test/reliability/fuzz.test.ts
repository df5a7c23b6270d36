/**
 * Fuzz (issue 8): seeded, bounded random corruptions of real shards and manifests — byte flips,
 * truncations, extensions, edits of the Arrow stream's schema / record-batch message headers and
 * of the manifest JSON (numbers, paths, versions, types). For every case, `verifyDataset`, the
 * reader (sha256 on) and the loader (in a worker thread, so a synchronous hang is caught too) either reject with a DlthError naming a file of the dataset,
 * or return data identical to the original — never an untyped error, a hang, or other data.
 *
 * Two families: "raw" corruptions (the manifest's hashes are left alone: the data must come back
 * identical or be refused), and "consistent" ones (the shard's sha256/size and the manifest's
 * fingerprint are recomputed, as a careless or hostile lab would, so the parser and the value
 * checks, not the hash, must stand): there, accepted data must satisfy the format's invariants and
 * the three consumers must agree.
 * Rerun one case: DLTH_FUZZ_SEED=<seed> DLTH_FUZZ_CASES=<n> node scripts/run-tests.mjs reliability/fuzz
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { decodeMessage, MessageHeader } from '../../src/shards/ipc.js';
import { buildManifest, serializeManifest } from '../../src/shards/manifest.js';
import type { DatasetMeta, Manifest } from '../../src/shards/types.js';
import { sha256Hex } from '../../src/util/hash.js';
import { makeMeta, makeTicketRows, writeTickets } from '../shards/helpers.js';
import { rng } from './helpers.js';
import { loadAll, readAll, type Outcome, type Outcomes } from './fuzz-worker.js';

const SEED = Number(process.env.DLTH_FUZZ_SEED ?? 1);
const CASES = Number(process.env.DLTH_FUZZ_CASES ?? 200);
const CASE_TIMEOUT_MS = 10_000;

type Files = Map<string, Buffer>;
interface Region {
  kind: 'prefix' | 'schema' | 'batch-header' | 'body';
  start: number;
  end: number;
}

/** Message regions of an Arrow IPC stream (prefixes, schema and batch flatbuffers, bodies). */
function regions(bytes: Buffer): Region[] {
  const out: Region[] = [];
  let at = 0;
  while (at + 8 <= bytes.length) {
    const len = bytes.readInt32LE(at + 4);
    out.push({ kind: 'prefix', start: at, end: at + 8 });
    if (len === 0) break;
    const fb = bytes.subarray(at + 8, at + 8 + len);
    const m = decodeMessage(fb);
    out.push({ kind: m.type === MessageHeader.Schema ? 'schema' : 'batch-header', start: at + 8, end: at + 8 + len });
    if (m.bodyLength > 0) out.push({ kind: 'body', start: at + 8 + len, end: at + 8 + len + m.bodyLength });
    at += 8 + len + m.bodyLength;
  }
  return out;
}

interface Case {
  name: string;
  /** Raw: hashes untouched (data must be identical or refused). Consistent: hashes recomputed. */
  consistent: boolean;
  files: Files;
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (rand: () => number, n: number): number => Math.floor(rand() * n);

/** Recomputes shard sizes/hashes and the fingerprint after shard edits (a "consistent" dataset). */
function rehash(files: Files): void {
  const m = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
  const shards = m.shards.map((s) => {
    const b = files.get(s.file)!;
    return { ...s, bytes: b.length, sha256: sha256Hex(b) };
  });
  files.set('manifest.json', Buffer.from(serializeManifest(buildManifest(m.meta, shards, m.rowsPerShard))));
}

const WEIRD: unknown[] = [0, -1, 1, 2, 7, 8, 65535, 65536, 2 ** 31, 2 ** 53, -(2 ** 31), 1.5, NaN, 1e308, '1', '', '../x.arrow',
  '/etc/passwd', 'shard-99999.arrow', '.hidden.arrow', 'sub/shard-00000.arrow', null, true, [], {}, [1, 2], { a: 1 }];

/** All JSON paths of leaves (and containers) of a value. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function editJson(rand: () => number, json: Record<string, unknown>): string {
  const all = paths(json).filter((p) => p.length > 0);
  const path = pick(rand, all);
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], json) as Record<string | number, unknown>;
  const key = path[path.length - 1];
  const old = parent[key];
  const op = int(rand, 6);
  let what: string;
  if (op === 0 && !Array.isArray(parent)) {
    delete parent[key];
    what = 'deleted';
  } else if (op === 1 && typeof old === 'number') {
    parent[key] = pick(rand, [old + 1, old - 1, old * 2, -old, old + 0.5, 0]);
    what = `number ${old} → ${String(parent[key])}`;
  } else if (op === 2 && !Array.isArray(parent)) {
    parent[`${String(key)}x`] = 1;
    what = 'unknown key added';
  } else if (op === 3 && Array.isArray(old) && old.length > 0) {
    parent[key] = pick(rand, [[...old, old[0]], old.slice(1), [...old].reverse()]);
    what = 'array edited';
  } else {
    parent[key] = pick(rand, WEIRD);
    what = `set to ${JSON.stringify(parent[key]) ?? String(parent[key])}`;
  }
  return `$.${path.join('.')} ${what}`;
}

function makeCase(rand: () => number, pristine: Files, i: number): Case {
  const files: Files = new Map([...pristine].map(([k, v]) => [k, Buffer.from(v)]));
  const shardNames = [...files.keys()].filter((n) => n.endsWith('.arrow'));
  const shard = pick(rand, shardNames);
  const bytes = files.get(shard)!;
  const kind = int(rand, 10);
  const consistent = rand() < 0.5;
  let name: string;
  switch (kind) {
    case 0:
    case 1: {
      // Byte flips anywhere in a shard (several, sometimes).
      const n = 1 + int(rand, 3);
      for (let j = 0; j < n; j++) bytes[int(rand, bytes.length)] ^= 1 + int(rand, 255);
      name = `${shard}: ${n} byte flip(s)`;
      break;
    }
    case 2:
    case 3: {
      // Header edits: a byte or an int32 inside a message prefix, the schema or a batch header.
      const rs = regions(pristine.get(shard)!).filter((r) => r.kind !== 'body');
      const r = pick(rand, rs);
      const at = r.start + int(rand, r.end - r.start);
      if (rand() < 0.5 && at + 4 <= r.end) {
        const v = pick(rand, [0, 1, -1, 8, 0x7fffffff, -0x80000000, bytes.length, 1 << 24]);
        bytes.writeInt32LE(v, at);
        name = `${shard}: int32 ${v} at ${r.kind}+${at - r.start}`;
      } else {
        bytes[at] ^= 1 + int(rand, 255);
        name = `${shard}: byte flip at ${r.kind}+${at - r.start}`;
      }
      break;
    }
    case 4: {
      const len = int(rand, bytes.length);
      files.set(shard, bytes.subarray(0, len));
      name = `${shard}: truncated to ${len} of ${bytes.length}`;
      break;
    }
    case 5: {
      const tail = pick(rand, [Buffer.alloc(1 + int(rand, 64)), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), Buffer.from(Array.from({ length: 16 }, () => int(rand, 256)))]);
      files.set(shard, Buffer.concat([bytes, tail]));
      name = `${shard}: extended by ${tail.length} bytes`;
      break;
    }
    case 6: {
      // A whole message dropped or duplicated (a batch or the schema).
      const rs = regions(pristine.get(shard)!);
      const starts = rs.filter((r) => r.kind === 'prefix');
      const j = int(rand, starts.length - 1);
      const from = starts[j].start;
      const to = starts[j + 1].start;
      const dup = rand() < 0.5;
      const parts = dup ? [bytes.subarray(0, to), bytes.subarray(from, to), bytes.subarray(to)] : [bytes.subarray(0, from), bytes.subarray(to)];
      files.set(shard, Buffer.concat(parts));
      name = `${shard}: message ${j} ${dup ? 'duplicated' : 'dropped'}`;
      break;
    }
    case 7: {
      const m = files.get('manifest.json')!;
      const n = 1 + int(rand, 3);
      for (let j = 0; j < n; j++) m[int(rand, m.length)] ^= 1 + int(rand, 255);
      if (rand() < 0.3) files.set('manifest.json', m.subarray(0, int(rand, m.length)));
      return { name: `manifest.json: ${n} byte flip(s)/truncation`, consistent: false, files };
    }
    default: {
      const json = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Record<string, unknown>;
      const what = editJson(rand, json);
      if (consistent) {
        // Recompute the fingerprint when the edit left something fingerprintable.
        try {
          const m = json as unknown as Manifest;
          files.set('manifest.json', Buffer.from(serializeManifest(buildManifest(m.meta as DatasetMeta, m.shards, m.rowsPerShard))));
        } catch {
          files.set('manifest.json', Buffer.from(JSON.stringify(json)));
        }
      } else {
        files.set('manifest.json', Buffer.from(JSON.stringify(json)));
      }
      return { name: `manifest.json: ${what}${consistent ? ' (re-fingerprinted)' : ''}`, consistent, files };
    }
  }
  if (consistent) rehash(files);
  return { name: `case ${i}: ${name}${consistent ? ' (re-hashed)' : ''}`, consistent, files };
}

/** Runs cases in a worker thread; a case not done by the deadline is a hang (the worker is replaced). */
class Consumers {
  private worker: Worker | null = null;
  private get w(): Worker {
    this.worker ??= new Worker(new URL('./fuzz-worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 512 } });
    return this.worker;
  }
  run(dir: string): Promise<Outcomes | string> {
    const w = this.w;
    return new Promise((resolve) => {
      const done = (v: Outcomes | string): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        resolve(v);
      };
      const onMessage = (o: Outcomes): void => done(o);
      const onError = (e: Error): void => {
        this.worker = null;
        done(`worker died: ${e.message}`);
      };
      const timer = setTimeout(() => {
        void w.terminate();
        this.worker = null;
        done('hang');
      }, CASE_TIMEOUT_MS);
      w.on('message', onMessage);
      w.on('error', onError);
      w.postMessage(dir);
    });
  }
  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

/** The reason a rejection is not acceptable, or null. */
function badRejection(e: NonNullable<Outcome['error']>, dir: string): string | null {
  if (!e.typed) return `untyped error: ${e.name}: ${e.stack ?? e.message}`;
  if (!e.file?.startsWith(dir)) return `typed error not naming a file of the dataset: ${e.name}: ${e.message}`;
  if (!e.message.includes(e.file)) return `message does not name the file: ${e.message}`;
  return null;
}

function checkInvariants(data: string, meta: DatasetMeta): string | null {
  const rows = JSON.parse(data) as [string, number | null, string, number[], string[]][];
  const n = meta.grid[0] * meta.grid[1];
  for (const [id, , patches, positions] of rows) {
    if (positions.length !== meta.k) return `${id}: ${positions.length} positions, k = ${meta.k}`;
    if (positions.some((p, j) => p >= n || (j > 0 && p <= positions[j - 1]))) return `${id}: positions ${positions.join(',')} invalid`;
    if (Buffer.from(patches, 'base64').length !== meta.k * meta.patchSize ** 2 * meta.channels) return `${id}: patch bytes`;
  }
  return null;
}

test(`fuzz: ${CASES} seeded corruptions of shards and manifests are refused clearly or read identically`, { timeout: 300_000 }, async () => {
  const meta = makeMeta({ image: 16, patch: 4, channels: 1, k: 5 });
  const rows = makeTicketRows(meta, 48, 3).map((r) => ({ ...r, scores: new Float32Array(meta.k).fill(NaN) }));
  const base = mkdtempSync(join(tmpdir(), 'dlth-fuzz-'));
  const src = join(base, 'pristine');
  await writeTickets(src, meta, rows, { shardBytes: 2_500, batchBytes: 700 });
  const pristine: Files = new Map(['manifest.json', ...(JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8')) as Manifest).shards.map((s) => s.file)]
    .map((n) => [n, readFileSync(join(src, n))]));
  assert.ok(pristine.size >= 4, 'several shards');
  const want = await readAll(src);
  assert.equal(await loadAll(src), want);
  const consumers = new Consumers();

  const rand = rng(SEED);
  const problems: string[] = [];
  const tally = { refused: 0, identical: 0, acceptedConsistent: 0 };
  const t0 = performance.now();
  for (let i = 0; i < CASES; i++) {
    const c = makeCase(rand, pristine, i);
    const dir = join(base, `case-${i}`);
    mkdirSync(dir);
    for (const [n, b] of c.files) writeFileSync(join(dir, n), b);
    const result = await consumers.run(dir);
    if (typeof result === 'string') {
      problems.push(`${c.name}: ${result === 'hang' ? `HANG: no outcome within ${CASE_TIMEOUT_MS} ms (a synchronous loop: the worker was terminated)` : result}`);
      tally.refused++;
      continue;
    }
    const outcomes = result;
    for (const [who, o] of Object.entries(outcomes)) {
      if (!o.ok) {
        const bad = badRejection(o.error!, dir);
        if (bad) problems.push(`${c.name}: ${who}: ${bad}`);
        continue;
      }
      if (o.data === undefined) continue;
      if (o.data === want) continue;
      if (!c.consistent) problems.push(`${c.name}: ${who} returned different data without an error`);
      else {
        const bad = checkInvariants(o.data, meta);
        if (bad) problems.push(`${c.name}: ${who} accepted invalid data: ${bad}`);
      }
    }
    // Consumers agree: what verify accepts, the reader and the loader return, identically.
    if (outcomes.verify.ok) {
      if (!outcomes.reader.ok || !outcomes.loader.ok || outcomes.reader.data !== outcomes.loader.data) {
        problems.push(`${c.name}: verify accepts, but reader ${outcomes.reader.ok ? 'ok' : outcomes.reader.error?.message} / loader ${outcomes.loader.ok ? 'ok' : outcomes.loader.error?.message} ${outcomes.reader.data === outcomes.loader.data ? '' : '(different data)'}`);
      }
      if (outcomes.reader.data === want) tally.identical++;
      else tally.acceptedConsistent++;
    } else tally.refused++;
    rmSync(dir, { recursive: true, force: true });
  }
  await consumers.close();
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  process.stderr.write(`fuzz (seed ${SEED}): ${CASES} cases in ${secs} s: ${tally.refused} refused, ${tally.identical} identical, ${tally.acceptedConsistent} accepted re-hashed edits with valid data\n`);
  rmSync(base, { recursive: true, force: true });
  assert.deepEqual(problems.map((p) => p.split('\n').slice(0, 2).join(' | ')), []);
});
