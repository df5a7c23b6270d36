/**
 * Malformed pipeline files through the CLI (issue 8): unknown keys, wrong types, impossible
 * combinations, broken JSON → exit code 3, exactly one message line naming the file and the JSON
 * path, and no output directory content (nothing ran). The validator's own unit tests are in
 * test/pipeline/validate.test.ts; this checks the CLI edge: exit code, single line, nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, listTree, scratch, pool, runDlth } from './helpers.js';

// A pipeline as a mutable JSON tree: cases reach into it at any depth.
// biome-ignore lint/suspicious/noExplicitAny: the cases edit arbitrary JSON paths of a pipeline file
type P = Record<string, any>;

const base = (): P => {
  const p = JSON.parse(readFileSync(join(FIXTURES, 'fmnist-crash.json'), 'utf8')) as P;
  const data = join(FIXTURES, '../../../data/fashion-mnist-mini');
  for (const s of Object.values(p.sources as Record<string, P>)) s.dir = data;
  return p;
};

/** [name, edit or raw text, JSON path expected in the message, reason pattern]. */
const CASES: [string, ((p: P) => void) | string, string, RegExp][] = [
  ['unknown top-level key', (p) => (p.shardbytes = 1), '$.shardbytes', /unknown key/],
  ['unknown stage key', (p) => (p.stages[1].seeed = 3), '$.stages[1].seeed', /unknown key/],
  ['unknown source key', (p) => (p.sources.test.limt = 3), '$.sources.test.limt', /unknown key/],
  ['wrong type: seed', (p) => (p.seed = 'zero'), '$.seed', /expected an integer, got "zero"/],
  ['wrong type: limit', (p) => (p.sources.train.limit = '10'), '$.sources.train.limit', /expected an integer, got "10"/],
  ['wrong type: stages', (p) => (p.stages = { full: {} }), '$.stages', /expected an array/],
  ['patch size not dividing the image', (p) => (p.patchify.patchSize = 5), '$.patchify.patchSize', /does not divide the image size 28×28/],
  ['keep above 1', (p) => (p.stages[1].keep = 1.5), '$.stages[1].keep', /expected a number <= 1, got 1.5/],
  ['keep 0', (p) => (p.stages[1].keep = 0), '$.stages[1].keep', /expected a number > 0, got 0/],
  ['unknown source referenced', (p) => (p.stages[0].sources = ['train', 'valid']), '$.stages[0].sources[1]', /unknown source "valid"/],
  ['duplicate stage names', (p) => (p.stages[1].name = 'full'), '$.stages[1].name', /duplicate stage name/],
  ['broken JSON', '{ "name": "x", }', '$', /not valid JSON/],
];

test('malformed pipelines: exit 3, one line with file and JSON path, nothing written', { timeout: 180_000 }, async () => {
  const dir = scratch('dlth-badpipe-');
  const results = await pool(CASES, 3, async ([name, edit], i) => {
    const file = join(dir, `case-${i}.json`);
    if (typeof edit === 'string') writeFileSync(file, edit);
    else {
      const p = base();
      edit(p);
      writeFileSync(file, JSON.stringify(p, null, 2));
    }
    const out = join(dir, `out-${i}`);
    return { name, file, out, r: await runDlth(['run', file, '--out', out]) };
  });
  const problems: string[] = [];
  for (const [i, { name, file, out, r }] of results.entries()) {
    const [, , path, reason] = CASES[i];
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    const why: string[] = [];
    if (r.code !== 3) why.push(`exit ${r.code}`);
    if (lines.length !== 1) why.push(`${lines.length} stderr lines`);
    const msg = lines[0] ?? '';
    if (!msg.startsWith(`dlth: error: ${file}: ${path}: `)) why.push('does not name the file and JSON path first');
    if (!reason.test(msg)) why.push(`reason does not match ${reason}`);
    if (existsSync(out) && listTree(out).length > 0) why.push(`output written: ${listTree(out).join(', ')}`);
    if (r.stdout !== '') why.push(`stdout: ${r.stdout}`);
    if (why.length) problems.push(`${name}: ${why.join('; ')}\n    ${r.stderr.trim()}`);
  }
  assert.deepEqual(problems, []);
});

test('a materialize stage with its default preview completes (previews/ is created)', { timeout: 120_000 }, async () => {
  const dir = scratch('dlth-preview-');
  const p = base();
  p.sources.train.limit = 64;
  p.sources.test.limit = 16;
  p.stages = [{ kind: 'materialize', name: 'random', policy: 'random', keep: 0.5, seed: 1, sources: ['test'] }];
  const file = join(dir, 'p.json');
  writeFileSync(file, JSON.stringify(p));
  const out = join(dir, 'out');
  const r = await runDlth(['run', file, '--out', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(out, 'previews', 'random-test.png')));
});
