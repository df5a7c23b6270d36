/**
 * A library message that points at a setting names it as the user of the surface types it: on the
 * CLI a flag (`--small-images skip`, `--allow-empty-classes`, `--root <dir>/train`, `--max-file-bytes`),
 * in a pipeline run its key (`patchify.smallImages: "skip"`). Over the real CLI (`dlth materialize`,
 * `dlth run`); the library spelling (config keys) is checked in test/sources.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePhoto } from '../patchify/images.js';
import { runCli } from './run-cli.js';

let dir = '';
const GEOMETRY = ['--image-size', '32', '--patch-size', '8', '--policy', 'full', '-q'];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dlth-hints-'));
  mkdirSync(join(dir, 'img'));
  writeFileSync(join(dir, 'img', 'good.png'), await encodePhoto('png', 40, 40));
  writeFileSync(join(dir, 'img', 'tiny.png'), await encodePhoto('png', 20, 13));
  writeFileSync(join(dir, 'small.jsonl'), ['img/good.png', 'img/tiny.png'].map((path) => JSON.stringify({ path, label: 0 })).join('\n'));
  for (const split of ['train', 'val']) {
    for (const c of ['ant', 'bee']) {
      mkdirSync(join(dir, 'splits', split, c), { recursive: true });
      writeFileSync(join(dir, 'splits', split, c, 'a.png'), await encodePhoto('png', 32, 32));
    }
  }
  for (const c of ['ant', 'bee']) mkdirSync(join(dir, 'folder', c), { recursive: true });
  writeFileSync(join(dir, 'folder', 'ant', 'a.png'), await encodePhoto('png', 32, 32));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const materialize = (source: string[], out: string, ...more: string[]) => ['materialize', ...source, ...GEOMETRY, '-o', join(dir, out), ...more];
const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('dlth: warning:'));

test('CLI: the small-images warning names --small-images, not the pipeline key', async () => {
  const r = await runCli(materialize(['--source', 'jsonl', '--file', join(dir, 'small.jsonl')], 'o-warn'));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(warnings(r.stderr), [
    `dlth: warning: 1 image(s) smaller than 32×32 were upscaled, e.g. ${join(dir, 'img', 'tiny.png')} (20×13); `
      + 'use --small-images skip to refuse them (recorded in errors.jsonl) or --small-images upscale to accept them silently',
  ]);
});

test('CLI: a small image refused under --small-images skip is recorded naming the flag', async () => {
  const r = await runCli(materialize(['--source', 'jsonl', '--file', join(dir, 'small.jsonl')], 'o-skip', '--small-images', 'skip', '--max-failures', '1'));
  assert.equal(r.code, 0, r.stderr);
  const [record] = readFileSync(join(dir, 'o-skip', 'errors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string });
  assert.equal(record.reason, 'image is 20×13, smaller than the target 32×32 (width×height): refused (--small-images skip)');
});

test('CLI: an imagefolder error names --allow-empty-classes; a split root names --root <root>/train and --allow-split-directories', async () => {
  const empty = await runCli(materialize(['--source', 'imagefolder', '--root', join(dir, 'folder')], 'o-empty'));
  assert.equal(empty.code, 3, empty.stderr);
  assert.match(empty.stderr, /remove it or use --allow-empty-classes\)\n$/);
  assert.doesNotMatch(empty.stderr, /allowEmptyClasses/);

  const split = await runCli(materialize(['--source', 'imagefolder', '--root', join(dir, 'splits')], 'o-split'));
  assert.equal(split.code, 3, split.stderr);
  assert.deepEqual(split.lines, [
    `dlth: error: ${join(dir, 'splits')}: looks like a directory of dataset splits (train, val, each holding class folders), not of classes: `
      + `use --root ${join(dir, 'splits', 'train')} for one split, or --allow-split-directories to take train, val as the classes`,
  ]);
  const forced = await runCli(materialize(['--source', 'imagefolder', '--root', join(dir, 'splits'), '--allow-split-directories'], 'o-forced'));
  assert.equal(forced.code, 0, forced.stderr);
});

test('CLI: a file over the size limit is recorded naming --max-file-bytes', async () => {
  const r = await runCli(materialize(['--source', 'jsonl', '--file', join(dir, 'small.jsonl')], 'o-limit', '--max-file-bytes', '100', '--max-failures', '2'));
  assert.equal(r.code, 0, r.stderr);
  const reasons = readFileSync(join(dir, 'o-limit', 'errors.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { reason: string }).reason);
  assert.equal(reasons.length, 2);
  for (const reason of reasons) assert.match(reason, /bytes, over the 100-byte limit per file \(--max-file-bytes\)$/);
});

test('CLI: a patch geometry the library refuses names the flag (--patch-size), not patchify.patchSize', async () => {
  const r = await runCli(['materialize', '--source', 'jsonl', '--file', join(dir, 'small.jsonl'), '--image-size', '32', '--patch-size', '7', '--policy', 'full', '-q', '-o', join(dir, 'o-geom')]);
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(r.lines, ['dlth: error: --patch-size is 7, expected a divisor of the image size 32×32']);
});

test('pipeline run: the same warning names the pipeline key patchify.smallImages', async () => {
  const pipeline = {
    name: 'hints', sources: { small: { kind: 'jsonl', file: join(dir, 'small.jsonl') } },
    patchify: { imageSize: 32, patchSize: 8 },
    stages: [{ kind: 'materialize', name: 'full', policy: 'full', sources: ['small'] }],
  };
  writeFileSync(join(dir, 'hints.json'), JSON.stringify(pipeline));
  const r = await runCli(['run', join(dir, 'hints.json'), '--out', join(dir, 'run'), '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(warnings(r.stderr), [
    `dlth: warning: 1 image(s) smaller than 32×32 were upscaled, e.g. ${join(dir, 'img', 'tiny.png')} (20×13); `
      + 'use patchify.smallImages: "skip" to refuse them (recorded in errors.jsonl) or patchify.smallImages: "upscale" to accept them silently',
  ]);
});

test('pipeline run with stage processes (--jobs 2, quiet): a stage\'s warning still reaches the user, unprefixed', async () => {
  const pipeline = {
    name: 'hints', sources: { small: { kind: 'jsonl', file: join(dir, 'small.jsonl') } },
    patchify: { imageSize: 32, patchSize: 8 },
    stages: [{ kind: 'materialize', name: 'full', policy: 'full', sources: ['small'] }],
  };
  writeFileSync(join(dir, 'hints2.json'), JSON.stringify(pipeline));
  const r = await runCli(['run', join(dir, 'hints2.json'), '--out', join(dir, 'run2'), '-q', '--jobs', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(warnings(r.stderr), [
    `dlth: warning: 1 image(s) smaller than 32×32 were upscaled, e.g. ${join(dir, 'img', 'tiny.png')} (20×13); `
      + 'use patchify.smallImages: "skip" to refuse them (recorded in errors.jsonl) or patchify.smallImages: "upscale" to accept them silently',
  ]);
});
