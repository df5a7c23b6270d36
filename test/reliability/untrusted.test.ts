/**
 * Untrusted datasets through the CLI (issue 8): `dlth verify` on datasets doctored the ways a
 * careless or hostile lab could: each exits 4 with one line naming the file and the reason, and
 * the child's peak memory (/usr/bin/time -v) stays near a valid dataset's, whatever sizes the
 * manifest declares. The library-level rejections are in test/shards/verify.test.ts; the fuzz
 * layer in fuzz.test.ts; this is the CLI edge: exit code, one line, bounded memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildManifest, serializeManifest } from '../../src/shards/manifest.js';
import type { Manifest } from '../../src/shards/types.js';
import { sha256Hex } from '../../src/util/hash.js';
import { makeMeta, makeTicketRows, writeTickets } from '../shards/helpers.js';
import { HAVE_TIME, pool, runDlth, scratch } from './helpers.js';

type Edit = (dir: string, m: Manifest) => void;

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
const writeManifest = (dir: string, m: Manifest): void => writeFileSync(join(dir, 'manifest.json'), serializeManifest(buildManifest(m.meta, m.shards, m.rowsPerShard)));
/** Edits the manifest and recomputes its fingerprint, so only the deeper checks can refuse it. */
const consistent = (f: (m: Manifest) => Manifest): Edit => (dir, m) => writeManifest(dir, f(m));
const shard0 = (m: Manifest, patch: Partial<Manifest['shards'][number]>): Manifest => ({ ...m, shards: m.shards.map((s, i) => (i === 0 ? { ...s, ...patch } : s)) });

/** Replaces `from` by `to` in shard 0 and re-hashes it into the manifest (the value checks must catch it). */
function patchPositions(from: number[], to: number[]): Edit {
  return (dir, m) => {
    const path = join(dir, m.shards[0].file);
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from(from));
    assert.ok(at > 0, 'position pattern found');
    Buffer.from(to).copy(bytes, at);
    writeFileSync(path, bytes);
    writeManifest(dir, shard0(m, { sha256: sha256Hex(bytes) }));
  };
}

/** [case, edit, file named (relative to the dataset, or '' for the manifest), reason]. */
const CASES: [string, Edit, string, RegExp][] = [
  ['manifest path ../x', consistent((m) => shard0(m, { file: '../x.arrow' })), 'manifest.json', /\$\.shards\[0\]\.file/],
  ['absolute manifest path', consistent((m) => shard0(m, { file: '/etc/passwd.arrow' })), 'manifest.json', /\$\.shards\[0\]\.file/],
  ['symlink pointing outside', (dir, m) => {
    const outside = join(dir, '..', 'outside.arrow');
    cpSync(join(dir, m.shards[0].file), outside);
    rmSync(join(dir, m.shards[0].file));
    symlinkSync(outside, join(dir, m.shards[0].file));
  }, 'shard-00000.arrow', /resolves outside the dataset directory/],
  ['hash mismatch', (dir, m) => {
    const path = join(dir, m.shards[1].file);
    const b = readFileSync(path);
    b[b.length - 40] ^= 1;
    writeFileSync(path, b);
  }, 'shard-00001.arrow', /sha256 [0-9a-f]{64} differs from the manifest's/],
  ['size mismatch', (dir, m) => appendFileSync(join(dir, m.shards[1].file), Buffer.alloc(8)), 'shard-00001.arrow', /size is \d+ bytes, the manifest says \d+/],
  ['truncated shard (manifest updated to match)', (dir, m) => {
    truncateSync(join(dir, m.shards[0].file), 300);
    const b = readFileSync(join(dir, m.shards[0].file));
    writeManifest(dir, shard0(m, { bytes: 300, sha256: sha256Hex(b) }));
  }, 'shard-00000.arrow', /truncated|bad message metadata length \d+|exceeds the shard's remaining/],
  ['schema not matching the manifest', consistent((m) => ({ ...m, meta: { ...m.meta, seed: 8 } })), 'shard-00000.arrow', /schema metadata "dlth" differs from the manifest's meta/],
  ['unknown format version', (dir, m) => writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...m, version: 2 })), 'manifest.json', /unknown format version 2/],
  ['positions out of range', patchPositions([1, 0, 5, 0, 15, 0], [1, 0, 5, 0, 16, 0]), 'shard-00000.arrow', /not strictly ascending within \[0, 16\)/],
  ['positions repeated', patchPositions([1, 0, 5, 0, 15, 0], [1, 0, 5, 0, 5, 0]), 'shard-00000.arrow', /not strictly ascending/],
  ['k inconsistent with the metadata', consistent((m) => ({ ...m, meta: { ...m.meta, k: 4, keep: 0.25 } })), 'shard-00000.arrow', /schema field 2 .*expected/],
  ['patch length inconsistent with the metadata', consistent((m) => ({ ...m, meta: { ...m.meta, imageSize: [16, 16], patchSize: 4 } })), 'shard-00000.arrow', /schema field 2 .*expected/],
  ['absurd declared shard size (1 TiB)', consistent((m) => shard0(m, { bytes: 2 ** 40 })), 'shard-00000.arrow', /size is \d+ bytes, the manifest says 1099511627776/],
  ['absurd declared size beyond the bound', (dir, m) => writeFileSync(join(dir, 'manifest.json'), JSON.stringify(shard0(m, { bytes: 2 ** 60 }))), 'manifest.json', /\$\.shards\[0\]\.bytes: expected an integer/],
  ['absurd declared rows (2^31-1)', consistent((m) => shard0(m, { rows: 2 ** 31 - 1 })), 'shard-00000.arrow', /rows, the manifest says 2147483647/],
  ['10 MB garbage manifest', (dir) => {
    const g = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < g.length; i++) g[i] = (i * 2654435761) >>> 24;
    writeFileSync(join(dir, 'manifest.json'), g);
  }, 'manifest.json', /not valid UTF-8 JSON/],
  ['10 MB of JSON nesting', (dir) => writeFileSync(join(dir, 'manifest.json'), '['.repeat(10 * 1024 * 1024)), 'manifest.json', /JSON nested deeper than 32 levels/],
];

test('dlth verify on untrusted datasets: exit 4, one line naming the file and reason, bounded memory', { timeout: 240_000 }, async () => {
  const base = scratch('dlth-untrusted-');
  const meta = makeMeta({ k: 3 });
  const rows = makeTicketRows(meta, 12).map((r) => ({ ...r, positions: Uint16Array.of(1, 5, 15), patches: r.patches.fill(7), scores: new Float32Array(3).fill(NaN) }));
  const pristine = join(base, 'pristine');
  await writeTickets(pristine, meta, rows, { shardBytes: 3000 });
  assert.ok(readManifest(pristine).shards.length >= 2);

  const jobs = [['valid dataset', null, '', /^ok: /] as const, ...CASES];
  const results = await pool(jobs, 3, async ([name, edit], i) => {
    const dir = join(base, `case-${i}`, 'ds');
    mkdirSync(join(dir, '..'));
    cpSync(pristine, dir, { recursive: true });
    if (edit) edit(dir, readManifest(dir));
    return { name, dir, r: await runDlth(['verify', dir], { measure: true }) };
  });
  const baseline = results[0];
  assert.equal(baseline.r.code, 0, baseline.r.stderr);
  assert.match(baseline.r.stdout, /^ok: .* tickets, 12 rows/);
  const problems: string[] = [];
  const rss: string[] = [];
  for (const [i, { name, dir, r }] of results.entries()) {
    if (i === 0) continue;
    const [, , named, reason] = CASES[i - 1];
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    const why: string[] = [];
    if (r.code !== 4) why.push(`exit ${r.code}`);
    if (lines.length !== 1) why.push(`${lines.length} stderr lines`);
    const msg = lines[0] ?? '';
    if (!msg.startsWith(`dlth: error: ${join(dir, named)}: `)) why.push(`does not start with the file ${named}`);
    if (!reason.test(msg)) why.push(`reason does not match ${reason}`);
    if (r.maxRssKiB !== undefined && baseline.r.maxRssKiB !== undefined) {
      rss.push(`${name}: ${Math.round(r.maxRssKiB / 1024)} MiB`);
      // The 10 MB manifests are read whole (bounded by the 16 MiB limit) and parsed once.
      if (r.maxRssKiB > baseline.r.maxRssKiB + 96 * 1024) why.push(`peak RSS ${r.maxRssKiB} KiB vs ${baseline.r.maxRssKiB} KiB for a valid dataset`);
    }
    if (why.length) problems.push(`${name}: ${why.join('; ')}\n    ${msg.slice(0, 300)}`);
  }
  if (HAVE_TIME) process.stderr.write(`verify peak RSS (valid: ${Math.round(baseline.r.maxRssKiB! / 1024)} MiB): ${rss.join(', ')}\n`);
  else process.stderr.write('note: /usr/bin/time not found, peak RSS not checked\n');
  assert.deepEqual(problems, []);
});
