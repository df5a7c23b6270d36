import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive, removeStaleTemps, writeFileAtomic } from '../../src/util/fsx.js';

test('removeStaleTemps removes temps of dead processes only, never another live write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-fsx-'));
  const dead = 2 ** 22 + 12345; // above Linux's default pid_max (4194304): never a live pid
  assert.equal(pidAlive(dead), false);
  assert.equal(pidAlive(process.pid), true);
  writeFileSync(join(dir, `.live.json.tmp-${process.pid}`), 'x');
  writeFileSync(join(dir, `.dead.json.tmp-${dead}`), 'x');
  writeFileSync(join(dir, 'keep.json.tmp-1'), 'not hidden: not ours');
  assert.equal(await removeStaleTemps(dir), 1);
  assert.deepEqual(readdirSync(dir).sort(), [`.live.json.tmp-${process.pid}`, 'keep.json.tmp-1']);
});

test('writeFileAtomic leaves only the complete file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-fsx-'));
  await writeFileAtomic(join(dir, 'a.json'), '{"a":1}\n');
  assert.deepEqual(readdirSync(dir), ['a.json']);
});
