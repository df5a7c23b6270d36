/**
 * Hostile images end to end (issue 8): the corpus (built here) in an imagefolder, through
 * `dlth run` with a materialize pipeline. `--max-failures 0`: exit 6 with a summary, and the
 * dataset's and the run's errors.jsonl list exactly the bad files with reasons. `--max-failures 10`:
 * the run completes and the good images (CMYK, 16-bit, grey+alpha, GIF first frame, EXIF-rotated
 * with the right orientation) are in the dataset. The decoder-level cases are in
 * test/patchify/hostile.test.ts; this is the same corpus through the CLI, the runner and the writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { readTickets } from '../shards/helpers.js';
import { animatedGif, encodePhoto, permissionsIgnored, photo, pngDeclaring, quadrants } from '../patchify/images.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { runDlth, scratch } from './helpers.js';

const RED: [number, number, number] = [230, 20, 20];
const GREEN: [number, number, number] = [20, 220, 20];
const BLUE: [number, number, number] = [20, 20, 230];
const WHITE: [number, number, number] = [245, 245, 245];

/** Builds the corpus under root/a; returns id → 'ok' or the expected reason. */
async function buildCorpus(root: string): Promise<Record<string, 'ok' | RegExp>> {
  const dir = join(root, 'a');
  mkdirSync(join(dir, 'deep'), { recursive: true });
  const jpeg = await encodePhoto('jpeg', 200, 150);
  const base = () => sharp(photo('coffee-192x128.jpg'));
  // Displayed upright: red | green over blue | white. Stored rotated 90° counter-clockwise with
  // EXIF orientation 6 (rotate 90° clockwise to display), so only a decoder honouring it gets red top-left.
  const upright = sharp(quadrants(64, 64, [RED, GREEN, BLUE, WHITE]), { raw: { width: 64, height: 64, channels: 3 } });
  const stored = await sharp(await upright.rotate(270).raw().toBuffer(), { raw: { width: 64, height: 64, channels: 3 } })
    .jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  const files: [string, Uint8Array, 'ok' | RegExp][] = [
    ['good.png', await encodePhoto('png', 40, 40), 'ok'],
    ['truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), /truncated|premature end/i],
    ['empty.jpg', new Uint8Array(0), /empty file/],
    ['text.jpg', Buffer.from('plain text, not a JPEG\n'), /not an image/],
    ['bomb.png', pngDeclaring(100_000, 100_000), /pixel limit/],
    ['cmyk.jpg', await base().toColourspace('cmyk').jpeg().toBuffer(), 'ok'],
    ['sixteen.png', await base().toColourspace('rgb16').png().toBuffer(), 'ok'],
    ['gray-alpha.png', await base().ensureAlpha(0.5).toColourspace('b-w').png().toBuffer(), 'ok'],
    ['animated.gif', await animatedGif(48, 48, [[250, 0, 0], [0, 0, 250]]), 'ok'],
    ['rotated.jpg', stored, 'ok'],
    ['locked.png', await encodePhoto('png', 40, 40), permissionsIgnored() ? 'ok' : /permission denied \(EACCES\)/],
  ];
  const expected: Record<string, 'ok' | RegExp> = {};
  for (const [name, bytes, outcome] of files) {
    writeFileSync(join(dir, name), bytes);
    expected[`a/${name}`] = outcome;
  }
  chmodSync(join(dir, 'locked.png'), 0o000); // as root (permissionsIgnored), mode 000 does not stop reads
  symlinkSync('..', join(dir, 'deep', 'up')); // a directory loop: a/deep/up → a (not followed)
  symlinkSync('loop2.jpg', join(dir, 'loop1.jpg')); // a file loop
  symlinkSync('loop1.jpg', join(dir, 'loop2.jpg'));
  expected['a/loop1.jpg'] = /symlink loop \(ELOOP\)/;
  expected['a/loop2.jpg'] = /symlink loop \(ELOOP\)/;
  return expected;
}

function pipeline(root: string): object {
  return {
    name: 'hostile',
    seed: 0,
    concurrency: 2,
    shardBytes: 65_536,
    sources: { imgs: { kind: 'imagefolder', root } },
    patchify: { imageSize: 32, patchSize: 8, channels: 3, resize: 'shorter' },
    stages: [{ kind: 'materialize', name: 'full', policy: 'full', sources: ['imgs'], preview: false }],
  };
}

interface ErrorLine {
  dataset?: string;
  index: number;
  id: string;
  file: string;
  reason: string;
}

function readErrors(path: string): ErrorLine[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ErrorLine);
}

function checkErrors(lines: ErrorLine[], root: string, expected: Record<string, 'ok' | RegExp>, where: string): void {
  const bad = Object.entries(expected).filter(([, v]) => v !== 'ok').map(([id]) => id).sort();
  assert.deepEqual(lines.map((l) => l.id).sort(), bad, `${where}: exactly the bad files`);
  for (const l of lines) {
    assert.equal(l.file, join(root, l.id), `${where}: ${l.id} names its file`);
    assert.match(l.reason, expected[l.id] as RegExp, `${where}: ${l.id} reason`);
  }
}

/** Mean colour of patch `pos` (8×8×3, row-major) of a row. */
function patchMean(patches: Uint8Array, pos: number): number[] {
  const p = patches.subarray(pos * 192, (pos + 1) * 192);
  const sum = [0, 0, 0];
  for (let i = 0; i < 192; i++) sum[i % 3] += p[i];
  return sum.map((s) => s / 64);
}

test('hostile corpus through dlth run: --max-failures 0 fails with exit 6 and exact errors.jsonl; 10 completes with the good images', { timeout: 120_000 }, async () => {
  const base = scratch('dlth-hostile-run-');
  const root = join(base, 'corpus');
  const expected = await buildCorpus(root);
  const file = join(base, 'pipeline.json');
  writeFileSync(file, JSON.stringify(pipeline(root)));
  const out = join(base, 'out');
  const ds = join(out, 'datasets', 'full', 'imgs');
  const nBad = Object.values(expected).filter((v) => v !== 'ok').length;

  const strict = await runDlth(['run', file, '--out', out, '--quiet', '--max-failures', '0']);
  assert.equal(strict.code, 6, `exit code 6 (too many failures):\n${strict.stderr}`);
  const summary = strict.stderr.split('\n').filter((l) => l.startsWith('dlth: error:'));
  assert.equal(summary.length, 1, `one error line: ${strict.stderr}`);
  assert.match(summary[0], new RegExp(`${nBad} samples failed \\(max 0\\); see errors\\.jsonl`));
  assert.ok(summary[0].includes(join(ds, 'errors.jsonl')), 'the summary names the errors file');
  assert.ok(!existsSync(join(ds, 'manifest.json')), 'no dataset is committed');
  checkErrors(readErrors(join(ds, 'errors.jsonl')), root, expected, 'dataset errors.jsonl (strict)');
  assert.ok(existsSync(join(out, 'errors.jsonl')), 'the run-level errors.jsonl is written when the run fails on failures');
  checkErrors(readErrors(join(out, 'errors.jsonl')), root, expected, 'run errors.jsonl (strict)');

  const lenient = await runDlth(['run', file, '--out', out, '--quiet', '--max-failures', '10']);
  assert.equal(lenient.code, 0, lenient.stderr);
  assert.match(lenient.stderr, new RegExp(`${nBad} image\\(s\\) were skipped: see ${join(out, 'errors.jsonl').replace(/[.]/g, '\\.')}`));
  checkErrors(readErrors(join(ds, 'errors.jsonl')), root, expected, 'dataset errors.jsonl');
  const run = readErrors(join(out, 'errors.jsonl'));
  checkErrors(run, root, expected, 'run errors.jsonl');
  assert.ok(run.every((l) => l.dataset === 'datasets/full/imgs'));

  await verifyDataset(ds);
  const rows = await readTickets(ds);
  const good = Object.entries(expected).filter(([, v]) => v === 'ok').map(([id]) => id).sort();
  assert.deepEqual(rows.map((r) => r.id), good, 'exactly the good images, in id order');
  const byId = new Map(rows.map((r) => [r.id, r]));
  const rot = byId.get('a/rotated.jpg')!;
  const near = (got: number[], want: number[]) => got.every((v, i) => Math.abs(v - want[i]) < 30);
  for (const [pos, colour, name] of [[0, RED, 'red'], [3, GREEN, 'green'], [12, BLUE, 'blue'], [15, WHITE, 'white']] as const) {
    assert.ok(near(patchMean(rot.patches, pos), [...colour]), `EXIF-rotated: patch ${pos} is ${name}: ${patchMean(rot.patches, pos).map(Math.round)}`);
  }
  const gif = patchMean(byId.get('a/animated.gif')!.patches, 5);
  assert.ok(gif[0] > 200 && gif[2] < 50, `GIF: the first (red) frame: ${gif.map(Math.round)}`);
  const ga = byId.get('a/gray-alpha.png')!;
  const grey = patchMean(ga.patches, 5);
  assert.ok(Math.abs(grey[0] - grey[1]) < 2 && Math.abs(grey[1] - grey[2]) < 2, `grey+alpha decodes to grey RGB: ${grey}`);
  for (const id of ['a/cmyk.jpg', 'a/sixteen.png']) {
    const m = patchMean(byId.get(id)!.patches, 5);
    assert.ok(m.some((v) => v > 20) && m.every((v) => v < 250), `${id}: plausible colour ${m.map(Math.round)}`);
  }
});
