/**
 * `dlth score --checkpoint P` over the real CLI: a P that does not exist, or a config.json named
 * instead of the weights, is bad input (exit 3), a file that is not safetensors bad data (exit 4);
 * each one line naming P and saying what it is.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePhoto } from '../patchify/images.js';
import { runCli } from './run-cli.js';

let dir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dlth-ckpt-cli-'));
  mkdirSync(join(dir, 'img'));
  writeFileSync(join(dir, 'img', 'a.png'), await encodePhoto('png', 32, 32));
  writeFileSync(join(dir, 'list.jsonl'), `${JSON.stringify({ path: 'img/a.png', label: 0 })}\n`);
  mkdirSync(join(dir, 'hf'));
  writeFileSync(join(dir, 'hf', 'config.json'), JSON.stringify({ architectures: ['ViTModel'], model_type: 'vit', image_size: 32, patch_size: 8, num_channels: 3 }, null, 2));
  writeFileSync(join(dir, 'model.safetensors'), Uint8Array.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x05, 0x00]));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const score = (checkpoint: string) => ['score', '--source', 'jsonl', '--file', join(dir, 'list.jsonl'), '--checkpoint', checkpoint, '-o', join(dir, 'out'), '-q', '--backend', 'cpu'];

test('dlth score: a checkpoint path that does not exist → exit 3, one line naming it', async () => {
  const r = await runCli(score(join(dir, 'missing')));
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(r.lines, [`dlth: error: ${join(dir, 'missing')}: no such file or directory (the checkpoint)`]);
});

test('dlth score: --checkpoint <dir>/config.json → exit 3, "a config file … pass its directory"', async () => {
  const r = await runCli(score(join(dir, 'hf', 'config.json')));
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(r.lines, [`dlth: error: ${join(dir, 'hf', 'config.json')}: a config file (JSON), not the weights: pass its directory (${join(dir, 'hf')}) or the .safetensors file`]);
});

test('dlth score: a .safetensors file that is a pickle → exit 4, saying so', async () => {
  const r = await runCli(score(join(dir, 'model.safetensors')));
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.lines.length, 1, r.stderr);
  assert.match(r.lines[0], /model\.safetensors: not a safetensors file: it is a Python pickle/);
});
