/**
 * scripts/gpu-check.sh's CPU-runnable parts: summary.py's arithmetic on made-up step results
 * (end-to-end rate with the warm-up run subtracted, forward / PyTorch ratio, utilisation per step,
 * goals), and the whole script in --cpu-dry-run mode (every step on lavapipe with tiny sizes: about
 * 3 minutes on 2 cores, so only with DLTH_TEST_GPU_CHECK=1, after scripts/gpu-check/pack.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PY = existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3';
const T0 = 1_800_000_000; // epoch seconds of the made-up run

/** nvidia-smi's timestamp format, local time, as the sampler writes it. */
function smiTime(epoch: number): string {
  const d = new Date(epoch * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** The parts of summary.json these tests read. */
interface Summary {
  allStepsRan: boolean;
  endToEnd: { imagesPerSec: number }[];
  forwardVsTorch: { ratio: number }[];
  goals: Record<string, number | boolean | null>;
  utilisation: { perStep: Record<string, unknown> };
  parity: { pass: boolean };
}

function summarise(dry: boolean): Summary {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-gpu-check-'));
  try {
    const steps = ['survey', 'runtime', 'doctor', 'parity', 'forward', 'score', 'torch'];
    writeFileSync(join(dir, 'steps.jsonl'), steps.map((s) => JSON.stringify({ step: s, rc: 0, seconds: 1, timedOut: false })).join('\n'));
    writeFileSync(join(dir, 'marks'), `forward ${T0}\nforward ${T0 + 10}\nscore ${T0 + 10}\nscore ${T0 + 20}\n`);
    const row = (model: string, batch: number, ips: number) => ({ model, batch, imagesPerSec: ips });
    writeFileSync(join(dir, 'forward.json'), JSON.stringify({ rows: [row('deit-small-patch16-224', 64, 1600), row('deit-small-patch16-224', 256, 1800)] }));
    writeFileSync(join(dir, 'torch.json'), JSON.stringify({ rows: [row('deit-small-patch16-224', 64, 2000), row('deit-small-patch16-224', 256, 2000)] }));
    const score = { model: 'deit-small-patch16-224', batch: 256, images: 4096, warmupRunImages: 256, warmupRunSeconds: 3, fullRunSeconds: 4.92 };
    writeFileSync(join(dir, 'score.json'), JSON.stringify({ rows: [score] }));
    const util = [[T0 + 1, 50, 1000], [T0 + 9, 70, 2000], [T0 + 15, 90, 3000], [T0 + 30, 0, 0]];
    writeFileSync(join(dir, 'util.csv'), util.map(([t, u, m]) => `${smiTime(t)}, ${u}, ${m}`).join('\n'));
    execFileSync(PY, ['scripts/gpu-check/summary.py', dir, join(dir, 'util.csv'), join(dir, 'summary.json'), dry ? '1' : '0']);
    return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('summary: end-to-end rate without the warm-up run, ratio to PyTorch, utilisation per step, goals', () => {
  const s = summarise(false);
  assert.equal(s.allStepsRan, true);
  assert.equal(s.endToEnd[0].imagesPerSec, (4096 - 256) / (4.92 - 3)); // 2000 img/s
  assert.equal(s.goals.deitSmallEndToEndImagesPerSec, 2000);
  assert.equal(s.goals.endToEnd2000, true);
  assert.deepEqual(s.forwardVsTorch.map((r) => r.ratio), [0.8, 0.9]);
  assert.equal(s.goals['forward0.8xTorch'], true);
  assert.deepEqual(s.utilisation.perStep.forward, { samples: 2, meanUtilPercent: 60, maxMemoryMiB: 2000 });
  assert.deepEqual(s.utilisation.perStep.score, { samples: 1, meanUtilPercent: 90, maxMemoryMiB: 3000 });
});

test('summary of a dry run states no goal as met or missed', () => {
  const s = summarise(true);
  assert.equal(s.goals.endToEnd2000, null);
  assert.equal(s.goals['forward0.8xTorch'], null);
});

const dryRun = process.env.DLTH_TEST_GPU_CHECK === '1' && existsSync('.cache/gpucheck/dlth.mjs');
test('gpu-check.sh --cpu-dry-run runs every step', { skip: dryRun ? false : 'set DLTH_TEST_GPU_CHECK=1 after scripts/gpu-check/pack.sh (about 3 minutes)' }, () => {
  const out = mkdtempSync(join(tmpdir(), 'dlth-gpu-check-out-'));
  try {
    const env = { ...process.env, DLTH_GPU_CHECK_NODE: 'carried' }; // the pack's node binary, as on the device
    execFileSync('bash', ['scripts/gpu-check.sh', out, '--cpu-dry-run'], { stdio: 'ignore', timeout: 480_000, env });
    assert.match(readFileSync(join(out, 'gpu-check.log'), 'utf8'), /node: \/tmp\/dlth-gpu-check\.\w+\/node v20/);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.allStepsRan, true);
    assert.equal(s.parity.pass, true);
    assert.ok(s.endToEnd.length > 0 && s.forwardVsTorch.every((r) => r.ratio > 0));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
