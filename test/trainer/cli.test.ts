import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { parseEvalFlag, parseSetFlags, registerTrain } from '../../src/cli/train.js';
import { makeFashionDataset } from './fixture.js';

test('--eval and --set parse names, directories and JSON values', () => {
  const flat = (e: ReturnType<typeof parseEvalFlag>): { name: string; dir: string } => ({ name: e.name, dir: e.dir.target });
  assert.deepEqual(flat(parseEvalFlag('full-test=data/x')), { name: 'full-test', dir: resolve('data/x') });
  assert.deepEqual(flat(parseEvalFlag('runs/ticket-test/')), { name: 'ticket-test', dir: resolve('runs/ticket-test/') });
  assert.deepEqual(parseSetFlags(['depth=2', 'mean=[0.3]', 'qkvBias=false']), { depth: 2, mean: [0.3], qkvBias: false });
  assert.throws(() => parseSetFlags(['depth']), /key=value/);
});

test('dlth train runs end to end from argv', async (t: TestContext) => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-trainer-cli-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 48, k: 25 });
  const full = await makeFashionDataset(join(root, 'full'), { split: 't10k', rows: 32 });
  const out = join(root, 'out');
  const program = new Command().exitOverride();
  registerTrain(program);
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
  try {
    await program.parseAsync(['train', '--train', data, '--eval', `full=${full}`, '--model', 'vit-micro-p4-28', '--set', 'dim=16', '--set', 'depth=1',
      '--set', 'heads=2', '--steps', '4', '--batch-size', '16', '--flip', '-q', '-o', out], { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  assert.match(written.join(''), /dlth train: vit-micro-p4-28, 4 steps, 64 samples .* full \d+\.\d+%/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { steps: number; epochs: number; config: { flip: boolean } };
  assert.equal(summary.steps, 4);
  assert.equal(summary.epochs, 2); // 3 steps per epoch: the second epoch is partial
  assert.equal(summary.config.flip, true);
});
