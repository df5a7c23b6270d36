/**
 * Tickets shared without pixels, through the real CLI: lab A scores its image folder and shares
 * only the score dataset (content hashes of every scored image included); lab B, with its own copy
 * where one image was changed and one is missing, rebuilds the tickets with --foreign-scores: every
 * other row is byte for byte lab A's, the changed image is recorded in errors.jsonl, and without
 * the flag the foreign scores are refused before any image is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { openSource } from '../../src/sources/open.js';
import { openDataset } from '../../src/shards/reader.js';
import { ticketRows } from '../../src/shards/rows.js';
import type { TicketRow } from '../../src/shards/types.js';
import { ROOT, runDlth } from '../reliability/helpers.js';
import { tempDir } from '../scaleout/helpers.js';

const GEOMETRY = ['--image-size', '28', '--patch-size', '4', '--channels', '1', '--resize', 'none'];

async function rows(dir: string): Promise<Map<string, TicketRow>> {
  const out = new Map<string, TicketRow>();
  for await (const r of ticketRows(await openDataset(dir))) out.set(r.id, r);
  return out;
}

/** An image folder of 40 real Fashion-MNIST images (PNG, two classes). */
async function imageFolder(dir: string): Promise<void> {
  const src = await openSource({ kind: 'idx', dir: join(ROOT, 'data', 'fashion-mnist-mini'), split: 'test', limit: 40 });
  for (let i = 0; i < src.size; i++) {
    const payload = await src.load(i);
    if (payload.kind !== 'raw') throw new Error('idx gives raw images');
    const cls = join(dir, i % 2 === 0 ? 'even' : 'odd');
    await mkdir(cls, { recursive: true });
    const { width, height, data } = payload.image;
    await sharp(Buffer.from(data), { raw: { width, height, channels: 1 } }).png().toFile(join(cls, `img-${String(i).padStart(3, '0')}.png`));
  }
}

test('sharing: tickets rebuilt from another lab\'s scores on our own copy equal theirs; changed images are recorded, foreign scores need the flag', { timeout: 180_000 }, async () => {
  const root = await tempDir('sharing');
  const labA = join(root, 'A');
  const labB = join(root, 'B');
  await imageFolder(labA);
  await cp(labA, labB, { recursive: true });
  // Lab B's copy: one image re-encoded with other pixels, one missing.
  const changed = join(labB, 'odd', 'img-005.png');
  await sharp(join(labA, 'odd', 'img-005.png')).negate().png().toFile(`${changed}.tmp.png`);
  await rm(changed);
  await cp(`${changed}.tmp.png`, changed);
  await rm(`${changed}.tmp.png`);
  await rm(join(labB, 'even', 'img-010.png'));

  const scores = join(root, 'shared-scores');
  const score = await runDlth(['score', '--source', 'imagefolder', '--root', labA, ...GEOMETRY, '--model', 'vit-micro-p4-28', '--out', scores, '-q']);
  assert.equal(score.code, 0, score.stderr);
  const theirs = join(root, 'A-tickets');
  const ticket = (source: string, out: string, extra: string[] = []) =>
    runDlth(['materialize', '--source', 'imagefolder', '--root', source, ...GEOMETRY, '--policy', 'ticket', '--keep-from', 'evit-rate', '--scores', scores, '--out', out, '-q', ...extra]);
  assert.equal((await ticket(labA, theirs)).code, 0);

  const refused = await ticket(labB, join(root, 'B-refused'));
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /scored another copy of this source .*--foreign-scores/);

  const ours = join(root, 'B-tickets');
  const rebuilt = await ticket(labB, ours, ['--foreign-scores', '--max-failures', '1']);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  const [a, b] = [await rows(theirs), await rows(ours)];
  assert.equal(a.size, 40);
  assert.equal(b.size, 38, 'all but the changed and the missing image');
  for (const [id, row] of b) assert.deepEqual(row, a.get(id), id);
  const errors = (await readFile(join(ours, 'errors.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; reason: string });
  assert.deepEqual(errors.map((e) => e.id), ['odd/img-005.png']);
  assert.match(errors[0]?.reason ?? '', /pixels differ from the image that was scored/);

  // Scores of other images (another split, another dataset): refused up front, and --foreign-scores
  // is not suggested (it used to be, and then every image failed with "no score row").
  const labC = join(root, 'C');
  await mkdir(join(labC, 'other'), { recursive: true });
  await cp(join(labA, 'even', 'img-000.png'), join(labC, 'other', 'x-000.png'));
  for (const extra of [[], ['--foreign-scores']]) {
    const other = await ticket(labC, join(root, `C-tickets${extra.length}`), extra);
    assert.equal(other.code, 3, other.stderr);
    assert.equal(other.stderr.trim().split('\n').length, 1, other.stderr);
    assert.match(other.stderr, /scored other images: its first id "even\/img-000.png" is not in this source/);
    assert.doesNotMatch(other.stderr, /--foreign-scores/);
  }
  await rm(root, { recursive: true, force: true });
});
