/**
 * `dlth stream --view naflex|zero|packed` against the Python package's views (python/dlth/views.py)
 * on the same real tickets, in the same order: every value equal (the zero and packed images bit
 * for bit), and the packed view refuses a k that is not a square. Needs .venv with the package.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { openSource } from '../../src/sources/open.js';
import { materialize } from '../../src/tickets/materialize.js';
import { ROOT } from '../reliability/helpers.js';

const PYTHON = join(ROOT, '.venv/bin/python');
const skip = existsSync(PYTHON) ? false : 'no .venv/bin/python (run scripts/setup-python.sh)';

const CHECK = `
import sys, subprocess, numpy as np, pyarrow as pa
from dlth.datasets import TicketIterable
ds, view, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
out = subprocess.run(["node", "--import", "tsx", "src/cli/main.ts", "stream", ds, "--view", view, "--batch", "7", "--seed", "3", "--epoch", "1", "-q", *extra],
                     capture_output=True, check=True).stdout
table = pa.ipc.open_stream(out).read_all()
opts = {"max_patches": int(extra[1])} if extra else {}
it = TicketIterable([ds], view, view_options=opts, seed=3)
it.set_epoch(1)
rows = list(it)
assert len(rows) == table.num_rows, (len(rows), table.num_rows)
cols = {name: table.column(name).to_pylist() for name in table.column_names}
for i, r in enumerate(rows):
    assert cols["label"][i] == (None if r["label"] < 0 else r["label"])
    if view in ("zero", "packed"):
        got = np.array(cols["image"][i], dtype=np.float32)
        want = r["image"].reshape(-1)
        assert got.tobytes() == want.tobytes(), (i, np.abs(got - want).max())
    else:
        assert np.array_equal(np.array(cols["patches"][i], dtype=np.uint8).reshape(-1), r["patches"].reshape(-1)), i
        assert np.array_equal(np.array(cols["coords"][i]).reshape(-1, 2), r["coords"]), i
        assert np.array_equal(np.array(cols["mask"][i], dtype=bool), r["mask"]), i
print(table.num_rows, table.schema.field(2).type)
`;

test('stream views: naflex, zero and packed equal the Python package\'s views on real tickets', { skip, timeout: 240_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'dlth-views-'));
  try {
    const source = await openSource({ kind: 'idx', dir: join(ROOT, 'data', 'fashion-mnist-mini'), split: 'test', limit: 60 });
    const patchify = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none', mean: [0.286], std: [0.353] });
    const square = join(root, 'k25');
    await materialize({ source, patchify, policy: 'random', k: 25, seed: 1, engine: { out: square, progress: false } });
    const odd = join(root, 'k24');
    await materialize({ source, patchify, policy: 'random', k: 24, seed: 1, engine: { out: odd, progress: false } });
    for (const [view, ds, extra] of [['zero', square, []], ['packed', square, []], ['naflex', odd, ['--max-patches', '30']], ['zero', odd, []]] as const) {
      const r = spawnSync(PYTHON, ['-c', CHECK, ds, view, ...extra], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `${view}: ${r.stderr}`);
      assert.match(r.stdout, /^60 /, view);
    }
    const refused = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'stream', odd, '--view', 'packed', '-q'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(refused.status, 3);
    assert.match(refused.stderr, /packed view needs a square k, the dataset has k = 24 \(nearest squares 16 and 25\)/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
