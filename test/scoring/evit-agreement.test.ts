/**
 * EViT tickets: dlth vs the Hugging Face model. scripts/parity/hf_evit.py trains a small DeiT
 * briefly on real photos (scikit-image's; so attention is structured, not near-tied), saves it as
 * an HF directory with its processor, and runs it as an EViT selector (eager attention) on
 * AutoImageProcessor's pixels at rates 0.9, 0.8, 0.7. dlth loads the same directory and picks
 * tickets (a) on those same pixels and (b) end to end, on pixels it made itself from the photo
 * files with the checkpoint's own preprocessing. Agreement = mean over photos of |ours ∩ HF| / k.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { patchify } from '../../src/patchify/patchify.js';
import { prepareMode } from '../../src/scoring/modes/index.js';
import { applyPreprocessing, loadSelector, type LoadedSelector } from '../../src/scoring/selector.js';
import { useBackend } from '../model/helpers.js';

const PYTHON = '.venv/bin/python';

interface Row { photo: string; patches: number[]; recovery: number; tickets: Record<string, number[]> }
interface Evit { selector: string; train: { steps: number; loss: number; acc: number }; rates: number[]; blocks: number[]; rows: Row[] }

function photos(): string[] | string {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (npm run setup)`;
  const r = spawnSync(PYTHON, ['-c', 'import skimage, transformers, torch, os; print(os.path.join(os.path.dirname(skimage.__file__), "data"))'], { encoding: 'utf8' });
  if (r.status !== 0) return `scikit-image, transformers or torch not importable in ${PYTHON} (pip install scikit-image)`;
  const dir = r.stdout.trim();
  return readdirSync(dir).filter((f) => /\.(png|jpg)$/.test(f) && f !== 'horse.png' && f !== 'logo.png').sort().map((f) => join(dir, f));
}

const list = photos();
const skip = typeof list === 'string' ? list : undefined;
let data: Evit;

before(() => {
  if (skip) return;
  const root = mkdtempSync(join(tmpdir(), 'dlth-evit-hf-'));
  const r = spawnSync(PYTHON, ['scripts/parity/hf_evit.py', root, ...(list as string[])], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  data = JSON.parse(readFileSync(join(root, 'evit.json'), 'utf8')) as Evit;
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
});

async function ticket(sel: LoadedSelector, rate: number, blocks: number[], patches: Uint8Array | number[]): Promise<number[]> {
  const mode = prepareMode('evit', sel.vit, { rate, blocks });
  const { numPatches, patchDim } = sel.vit.grid;
  const x = tf.tensor3d(Int32Array.from(patches), [1, numPatches, patchDim], 'int32');
  try {
    const [s] = await mode.score(x);
    return [...s.rank.subarray(0, s.survivors)].sort((a, b) => a - b);
  } finally {
    x.dispose();
  }
}

const overlap = (a: number[], b: number[]): number => a.filter((v) => b.includes(v)).length / b.length;

test('EViT tickets agree with the HF model on HF pixels and end to end (trained selector, 24 photos, 3 rates)', { skip }, async () => {
  await useBackend('tensorflow').catch(() => useBackend('wasm'));
  const sel = await loadSelector({ checkpoint: data.selector });
  try {
    const cfg = applyPreprocessing(sel);
    console.log(`selector: ${data.train.steps} steps, loss ${data.train.loss.toFixed(3)}, train accuracy ${(data.train.acc * 100).toFixed(0)}%`);
    for (const rate of data.rates) {
      let same = 0;
      let e2e = 0;
      for (const row of data.rows) {
        assert.ok(row.recovery < 1e-5, `${row.photo}: HF pixels are not a normalised uint8 image (${row.recovery})`);
        const hf = row.tickets[String(rate)];
        same += overlap(await ticket(sel, rate, data.blocks, row.patches), hf) / data.rows.length;
        const grid = await patchify({ kind: 'encoded', file: row.photo, bytes: readFileSync(row.photo) }, cfg);
        e2e += overlap(await ticket(sel, rate, data.blocks, grid.patches), hf) / data.rows.length;
      }
      console.log(`rate ${rate}: ${data.rows[0].tickets[String(rate)].length} kept; agreement on HF pixels ${(same * 100).toFixed(1)}%, end to end ${(e2e * 100).toFixed(1)}%`);
      assert.ok(same >= 0.99, `rate ${rate}: ${same} on the same pixels`);
      assert.ok(e2e >= 0.95, `rate ${rate}: ${e2e} end to end`);
    }
  } finally {
    sel.vit.dispose();
  }
});
