/**
 * Tickets are decoded as the selector saw the images: with a score dataset, materialize uses its
 * recorded geometry, preprocessing and mean/std whatever the caller's patchify says (here the
 * caller asks for Fashion-MNIST statistics, the selector used 0.5/0.5), and explicit overrides
 * still win. Real Fashion-MNIST images; the score rows carry content hashes that must match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { patchify } from '../../src/patchify/patchify.js';
import { contentHash } from '../../src/scoring/content.js';
import { openDataset } from '../../src/shards/reader.js';
import { DatasetKind, type DatasetMeta } from '../../src/shards/types.js';
import { createScoreWriter } from '../../src/shards/writer.js';
import { openSource } from '../../src/sources/open.js';
import { materialize } from '../../src/tickets/materialize.js';
import { REPO } from '../scaleout/cluster.js';

test('materialize with scores decodes as the score dataset recorded; explicit overrides win', { timeout: 60_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'dlth-as-scored-'));
  try {
    const source = await openSource({ kind: 'idx', dir: join(REPO, 'data', 'fashion-mnist-mini'), split: 'test', limit: 12 });
    const selectorCfg = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none', mean: [0.5], std: [0.5] });
    const meta: DatasetMeta = {
      format: 'dlth', version: 1, kind: DatasetKind.Scores, imageSize: [28, 28], patchSize: 4, grid: [7, 7], channels: 1, mean: [0.5], std: [0.5],
      k: 49, keep: 1, policy: null, seed: null, numClasses: null, contentHash: 'sha256',
      selector: { fingerprint: 'sha256:sel', model: 'vit-micro-p4-28', mode: 'cls-attn', params: { layer: -1 }, preprocessing: { from: 'hf-processor', resize: 'none', cropPct: 0.875, interpolation: 'cubic' } },
      source: { kind: source.kind, fingerprint: source.fingerprint, classes: null },
    };
    const scores = join(root, 'scores');
    const w = await createScoreWriter({ dir: scores, meta });
    for (let i = 0; i < source.size; i++) {
      const grid = await patchify(await source.load(i), selectorCfg);
      const s = Float32Array.from({ length: 49 }, (_, j) => ((j * 13 + i) % 49) / 49);
      const rank = Uint16Array.from([...Array(49).keys()].sort((a, b) => (s[b] as number) - (s[a] as number)));
      await w.write({ id: source.ref(i).id, label: null, scores: s, rank, content: contentHash(grid.patches) });
    }
    await w.finalize();
    const asked = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none', mean: [0.286], std: [0.353] });
    const plain = await materialize({ source, patchify: asked, policy: 'ticket', keep: 0.5, scores, engine: { out: join(root, 't1'), progress: false } });
    assert.equal(plain.rows, 12, 'every content hash matched');
    assert.deepEqual([plain.manifest.meta.mean, plain.manifest.meta.std], [[0.5], [0.5]], 'the selector\'s statistics, not the caller\'s');
    const overridden = await materialize({ source, patchify: asked, preprocessing: { mean: [0.2], std: [0.3] }, policy: 'ticket', keep: 0.5, scores, engine: { out: join(root, 't2'), progress: false } });
    assert.deepEqual([overridden.manifest.meta.mean, overridden.manifest.meta.std], [[0.2], [0.3]], 'an explicit override wins');
    assert.equal((await openDataset(join(root, 't2'))).manifest.rows, 12);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
