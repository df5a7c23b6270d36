import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { IoError } from '../../src/util/errors.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { faultFs } from './faultfs.js';
import { makeMeta, makeTicketRows, snapshot, tempDir, writeTickets } from './helpers.js';

const meta = makeMeta({ k: 4 });
const rows = makeTicketRows(meta, 40, 5).map((r) => ({ ...r, scores: new Float32Array(4).fill(NaN) }));
const layout = { shardBytes: 8_000, batchBytes: 2_500 };

test('injected ENOSPC/EACCES/EIO: no committed partial output, and a rerun completes byte-identically', async () => {
  const clean = await tempDir();
  await writeTickets(clean, meta, rows, layout);
  const want = await snapshot(clean);
  const probe = faultFs('EIO', Number.MAX_SAFE_INTEGER);
  await writeTickets(await tempDir(), meta, rows, { ...layout, fs: probe });
  const total = probe.state.calls;
  const points = [1, 2, Math.floor(total / 3), Math.floor(total / 2), total - 2, total - 1, total];
  for (const code of ['ENOSPC', 'EACCES', 'EIO']) {
    for (const at of points) {
      const dir = await tempDir();
      const fs = faultFs(code, at);
      await assert.rejects(writeTickets(dir, meta, rows, { ...layout, fs }), (e: unknown) => {
        return e instanceof IoError && e.syscallCode === code && typeof e.file === 'string' && e.file.startsWith(dir);
      }, `${code} at call ${at}`);
      const names = await readdir(dir);
      assert.ok(!names.includes('manifest.json'), `no manifest after ${code} at ${at}`);
      assert.ok(!names.some((n) => /\.tmp-\d+$/.test(n)), `no temp files after ${code} at ${at}: ${names.join(',')}`);
      const result = await writeTickets(dir, meta, rows, layout);
      const got = await snapshot(dir);
      assert.deepEqual([...got.keys()], [...want.keys()]);
      for (const [name, bytes] of want) assert.ok(bytes.equals(got.get(name) as Buffer), `${name} after ${code} at ${at}`);
      assert.equal((await verifyDataset(dir)).rows, rows.length);
      if (at > total / 2) assert.ok(result.reused > 0, `complete shards are reused (${code} at ${at} of ${total})`);
    }
  }
});
