/** Hostile checkpoints: nested safetensors headers and configs, shard indexes that point outside. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateCheckpoint, readCheckpointTensors } from '../../src/model/checkpoint_dir.js';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.js';
import { CheckpointError } from '../../src/util/errors.js';

function withHeader(header: string): Uint8Array {
  const head = Buffer.from(header);
  const out = new Uint8Array(8 + head.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  return out;
}

test('a 10 MiB nested safetensors header is refused before JSON.parse, with memory flat', () => {
  const depth = 10 * 1024 * 1024 / 2;
  const bytes = withHeader(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
  global.gc?.();
  const before = process.memoryUsage().rss;
  assert.throws(() => parseSafetensors(bytes, 'evil.safetensors'), (e: unknown) => e instanceof CheckpointError
    && /evil\.safetensors: safetensors header: JSON nested deeper than 4 levels/.test(e.message));
  const grown = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grown < 64, `rss grew ${grown.toFixed(0)} MiB`);
});

test('a header longer than the file, or not UTF-8, names the file', () => {
  const b = withHeader('{}');
  new DataView(b.buffer).setBigUint64(0, 1000n, true);
  assert.throws(() => parseSafetensors(b, 'short.safetensors'), /short\.safetensors: not a safetensors file: the first 8 bytes \(e8 03 00 00 00 00 00 00\) give a header length of 1000, beyond the \d+-byte file/);
  assert.throws(() => parseSafetensors(withHeader('{"\xff":1}').map((x) => (x === 0xc3 ? 0xff : x)), 'bad.safetensors'), /bad\.safetensors/);
});

test('sharded index: shard names must be plain files in the directory, and shards hold what the index says', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-shards-'));
  try {
    const t = { shape: [2], data: Float32Array.from([1, 2]) };
    writeFileSync(join(dir, 'a.safetensors'), serializeSafetensors(new Map([['x', t]])));
    writeFileSync(join(dir, 'b.safetensors'), serializeSafetensors(new Map([['y', t]])));
    const index = (map: Record<string, string>) => writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: map }));
    index({ x: 'a.safetensors', y: 'b.safetensors' });
    const ok = await readCheckpointTensors(await locateCheckpoint(dir));
    assert.deepEqual([...ok.tensors.keys()].sort(), ['x', 'y']);
    index({ x: '../a.safetensors' });
    await assert.rejects(locateCheckpoint(dir), /"x" maps to "\.\.\/a\.safetensors", not a \.safetensors file name in the same directory/);
    index({ x: 'a.safetensors', y: 'a.safetensors' });
    await assert.rejects(async () => readCheckpointTensors(await locateCheckpoint(dir)), /"y" listed by the index is in none of its shards/);
    index({ x: 'b.safetensors', y: 'b.safetensors' });
    await assert.rejects(async () => readCheckpointTensors(await locateCheckpoint(dir)), /b\.safetensors: tensor "y"|a\.safetensors|tensor "x"/);
    writeFileSync(join(dir, 'model.safetensors.index.json'), `{"weight_map":${'['.repeat(100000)}`);
    await assert.rejects(locateCheckpoint(dir), /JSON nested deeper than 8 levels/);
    mkdirSync(join(dir, 'empty'));
    await assert.rejects(locateCheckpoint(join(dir, 'empty')), /found no weights \(empty\); supported: model\.safetensors or model\.safetensors\.index\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
