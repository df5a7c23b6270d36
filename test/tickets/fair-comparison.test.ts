/**
 * One preprocessing on every path of a comparison, as a user runs it: a real Hugging Face DeiT
 * checkpoint saved with `save_pretrained` (its DeiTImageProcessor resizes to 36×36, centre-crops
 * 32, bicubic, mean/std 0.5 — nothing like dlth's defaults), real photos of mixed sizes, and the
 * real CLI. With `--scores`, the full, random, saliency and ticket datasets hold byte-identical
 * patches at every kept position of every image (the property), and record the same whole
 * preprocessing; `--checkpoint` decodes the same way without scores. A dataset built with the
 * defaults is refused by the loader next to them, naming both, unless mixing is allowed.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/shards/reader.js';
import { ticketRows } from '../../src/shards/rows.js';
import { TicketLoader } from '../../src/loader/loader.js';
import type { TicketRow } from '../../src/shards/types.js';
import { runCli } from '../cli/run-cli.js';

const PYTHON = '.venv/bin/python';
const MAKE_CHECKPOINT = `
import sys, torch
from transformers import DeiTConfig, DeiTForImageClassification, DeiTImageProcessor
torch.manual_seed(0)
cfg = DeiTConfig(image_size=32, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=64, num_labels=2)
DeiTForImageClassification(cfg).eval().save_pretrained(sys.argv[1])
DeiTImageProcessor(size={'height': 36, 'width': 36}, crop_size={'height': 32, 'width': 32}, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5]).save_pretrained(sys.argv[1])
import skimage.data
print(skimage.data.data_dir)
`;

function pythonReason(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (npm run setup)`;
  const r = spawnSync(PYTHON, ['-c', 'import transformers, torch, skimage'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `transformers/torch/scikit-image not importable in ${PYTHON}`;
}

const skip = pythonReason();
let root = '';
let checkpoint = '';
let images = '';

before(() => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'dlth-fair-'));
  checkpoint = join(root, 'deit');
  const r = spawnSync(PYTHON, ['-c', MAKE_CHECKPOINT, checkpoint], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const photos = r.stdout.trim();
  // Real photos of mixed sizes and aspect ratios, two classes.
  images = join(root, 'images');
  const picks: [string, string][] = [['a', 'astronaut.png'], ['a', 'coffee.png'], ['a', 'rocket.jpg'], ['b', 'chelsea.png'], ['b', 'motorcycle_left.png'], ['b', 'hubble_deep_field.jpg']];
  for (const [cls, name] of picks) {
    mkdirSync(join(images, cls), { recursive: true });
    copyFileSync(join(photos, name), join(images, cls, name));
  }
  for (const f of readdirSync('test/fixtures/images').filter((n) => n.endsWith('.jpg'))) copyFileSync(join('test/fixtures/images', f), join(images, 'a', f));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
});

async function cli(args: string[]): Promise<void> {
  const r = await runCli(args, { timeoutMs: 240_000 });
  assert.equal(r.code, 0, `dlth ${args.join(' ')}\n${r.stderr}`);
}

async function rowsOf(dir: string): Promise<Map<string, TicketRow>> {
  const out = new Map<string, TicketRow>();
  for await (const row of ticketRows(await openDataset(dir))) out.set(row.id, row);
  return out;
}

const SOURCE = () => ['--source', 'imagefolder', '--root', images, '-q'];

test('full, random, saliency and ticket datasets of one comparison hold the same pixels at every kept position', { skip, timeout: 600_000 }, async () => {
  const scores = join(root, 'scores');
  await cli(['score', ...SOURCE(), '--image-size', '32', '--patch-size', '8', '--checkpoint', checkpoint, '--rate', '0.7', '--blocks', '1', '-o', scores]);
  const paths = {
    full: ['--policy', 'full'],
    random: ['--policy', 'random', '--keep', '0.5'],
    saliency: ['--policy', 'saliency', '--keep', '0.5'],
    ticket: ['--policy', 'ticket', '--keep-from', 'evit-rate'],
  };
  for (const [name, args] of Object.entries(paths)) await cli(['materialize', ...SOURCE(), ...args, '--scores', scores, '-o', join(root, name)]);
  const scoreMeta = (await openDataset(scores)).meta;
  assert.equal(scoreMeta.preprocessing?.from, 'hf-processor');
  assert.equal(scoreMeta.preprocessing?.resize, 'fixed');
  const full = await rowsOf(join(root, 'full'));
  assert.equal(full.size, 8);
  const p = 8 * 8 * 3;
  for (const name of ['random', 'saliency', 'ticket']) {
    const ds = await openDataset(join(root, name));
    assert.deepEqual(ds.meta.preprocessing, scoreMeta.preprocessing, `${name} records the selector's whole preprocessing`);
    assert.deepEqual([ds.meta.mean, ds.meta.std], [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
    let compared = 0;
    for (const [id, row] of await rowsOf(join(root, name))) {
      const all = full.get(id);
      assert.ok(all, `${name}: ${id} is in the full dataset`);
      row.positions.forEach((pos, i) => {
        const kept = Buffer.from(row.patches.subarray(i * p, (i + 1) * p));
        assert.ok(kept.equals(Buffer.from(all.patches.subarray(pos * p, (pos + 1) * p))), `${name}: ${id} patch at position ${pos}`);
        compared++;
      });
    }
    assert.ok(compared >= 8 * 8, `${name}: ${compared} patches compared`);
  }
  // The checkpoint alone decodes the same way, without a score dataset.
  await cli(['materialize', ...SOURCE(), '--policy', 'full', '--checkpoint', checkpoint, '-o', join(root, 'full-ckpt')]);
  const viaCheckpoint = await rowsOf(join(root, 'full-ckpt'));
  for (const [id, row] of full) assert.ok(Buffer.from(row.patches).equals(Buffer.from(viaCheckpoint.get(id)?.patches ?? [])), id);
  assert.deepEqual((await openDataset(join(root, 'full-ckpt'))).meta.preprocessing, scoreMeta.preprocessing);
});

test('a dataset decoded with other settings is refused next to the comparison\'s, naming both, unless mixing is allowed', { skip, timeout: 300_000 }, async () => {
  const other = join(root, 'full-defaults');
  await cli(['materialize', ...SOURCE(), '--policy', 'full', '--image-size', '32', '--patch-size', '8', '-o', other]);
  const full = join(root, 'full');
  await assert.rejects(TicketLoader.open([full, other]), (err: Error) => {
    assert.match(err.message, /preprocessed differently \(imageSize|mean|resize/);
    assert.ok(err.message.includes(full) && err.message.includes(other), err.message);
    return true;
  });
  const loader = await TicketLoader.open([full, other], { allowMixedPreprocessing: true });
  assert.equal(loader.sources.rows, 16);
});

test('explicit geometry that contradicts the scores is refused, not ignored', { skip, timeout: 120_000 }, async () => {
  const r = await runCli(['materialize', ...SOURCE(), '--policy', 'full', '--scores', join(root, 'scores'), '--patch-size', '16', '-o', join(root, 'bad')]);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.lines.length, 1, r.stderr);
  assert.match(r.stderr, /patch size 16 \(the score dataset: 8\)/);
  assert.equal(existsSync(join(root, 'bad', 'manifest.json')), false);
});

test('dlth train refuses evaluation data preprocessed unlike its training data, naming both; --allow-mixed-preprocessing trains anyway', { skip, timeout: 300_000 }, async () => {
  const full = join(root, 'full');
  const other = join(root, 'full-defaults');
  if (!existsSync(join(other, 'manifest.json'))) await cli(['materialize', ...SOURCE(), '--policy', 'full', '--image-size', '32', '--patch-size', '8', '-o', other]);
  const args = ['train', '--model', 'vit-micro-p4-28', '--set', 'imageSize=[32,32]', '--set', 'patchSize=8', '--set', 'channels=3', '--set', 'dim=16', '--set', 'depth=1',
    '--set', 'heads=2', '--train', full, '--eval', `defaults=${other}`, '--steps', '1', '--batch-size', '4', '-q'];
  const refused = await runCli([...args, '--out', join(root, 'run-refused')], { timeoutMs: 120_000 });
  assert.equal(refused.code, 3, refused.stderr);
  assert.equal(refused.lines.length, 1, refused.stderr);
  assert.ok(refused.stderr.includes(full) && refused.stderr.includes(other), refused.stderr);
  assert.match(refused.stderr, /preprocessed differently/);
  const allowed = await runCli([...args, '--out', join(root, 'run-mixed'), '--allow-mixed-preprocessing'], { timeoutMs: 120_000 });
  assert.equal(allowed.code, 0, allowed.stderr);
});
