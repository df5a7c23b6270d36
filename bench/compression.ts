/**
 * Compressed shards on real photos: bytes per image, shard write throughput, reader and loader
 * throughput for none / lz4 / zstd and the JPEG patch encoding (quality 90 and 75), beside the
 * source JPEG bytes per image; for JPEG also the pixel error (PSNR against the raw patches) and the
 * Python reader's decode cost per sample (Pillow, dlth.TicketReader, every row once).
 * Usage: node --import tsx bench/compression.ts [rows=1500] [keep=0.5]
 *
 * Photos: scikit-image's colour sample photos (in .venv), each cut into 4 overlapping crops (the
 * four corners of the photo at 80 % of its size), saved as JPEG quality 90 (the ".jpg" photos as
 * their own crops re-encoded alike): the "source" a lab would keep. `dlth materialize` (imagefolder,
 * 224/16, random policy) makes the rows once; each codec then writes `rows` rows cycling through
 * them (distinct photos are ≥ 40 rows ≈ 3 MB apart, beyond zstd level 1's window, so repeats do not
 * flatter the ratio). Reads: best of 3 (page cache warm); loader: one epoch, batch 64, block
 * shuffle, sha256 checked ('always').
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TicketLoader } from '../src/loader/loader.js';
import { openDataset, ticketBatches } from '../src/shards/reader.js';
import { ticketRows } from '../src/shards/rows.js';
import { jpegEncoding } from '../src/shards/patch-jpeg.js';
import { Compression, type DatasetMeta, type TicketRow } from '../src/shards/types.js';
import { createTicketWriter } from '../src/shards/writer.js';

const rows = Number(process.argv[2] ?? 1500);
const keep = Number(process.argv[3] ?? 0.5);
const PYTHON = '.venv/bin/python';
const PHOTOS = ['astronaut.png', 'coffee.png', 'chelsea.png', 'rocket.jpg', 'motorcycle_left.png', 'motorcycle_right.png', 'hubble_deep_field.jpg',
  'retina.jpg', 'ihc.png', 'color.png', 'immunohistochemistry.png', 'skin.jpg', 'lily.png', 'cat.png'];

const CROPS = `
import sys, os, skimage.data
from PIL import Image
out = sys.argv[1]; total = 0; n = 0
for name in sys.argv[2:]:
    path = os.path.join(skimage.data.data_dir, name)
    if not os.path.exists(path): continue
    im = Image.open(path).convert('RGB'); w, h = im.size; cw, ch = int(w * 0.8), int(h * 0.8)
    for i, (x, y) in enumerate([(0, 0), (w - cw, 0), (0, h - ch), (w - cw, h - ch)]):
        d = os.path.join(out, 'c%d' % (n % 2)); os.makedirs(d, exist_ok=True)
        f = os.path.join(d, '%s-%d.jpg' % (name.split('.')[0], i))
        im.crop((x, y, x + cw, y + ch)).save(f, quality=90); total += os.path.getsize(f); n += 1
print(n, total)
`;

const root = await mkdtemp(join(tmpdir(), 'dlth-bench-compression-'));
const crops = spawnSync(PYTHON, ['-c', CROPS, join(root, 'photos'), ...PHOTOS], { encoding: 'utf8' });
if (crops.status !== 0) throw new Error(crops.stderr);
const [photoCount, jpegBytes] = crops.stdout.trim().split(' ').map(Number);

const base = join(root, 'base');
const made = spawnSync(process.execPath, ['bin/dlth.js', 'materialize', '--source', 'imagefolder', '--root', join(root, 'photos'), '--image-size', '224', '--patch-size', '16',
  '--policy', 'random', '--keep', String(keep), '--seed', '0', '-o', base, '-q'], { encoding: 'utf8' });
if (made.status !== 0) throw new Error(made.stderr);
const ds = await openDataset(base);
const pool: TicketRow[] = [];
for await (const r of ticketRows(ds)) pool.push(r);

const sec = (t: number): number => (performance.now() - t) / 1000;

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) if (f.endsWith('.arrow')) n += (await stat(join(dir, f))).size;
  return n;
}

interface Variant {
  name: string;
  meta: DatasetMeta;
}

const PY_READ = `
import sys, time
sys.path.insert(0, 'python')
from dlth import TicketReader
r = TicketReader(sys.argv[1]); r.row(0)[0].positions
t = time.perf_counter()
for g in range(r.rows):
    c, i = r.row(g); c.patches[i]
print((time.perf_counter() - t) / r.rows)
`;

async function measure({ name, meta }: Variant): Promise<Record<string, number>> {
  const dir = join(root, name);
  const t = performance.now();
  const w = await createTicketWriter({ dir, meta, resume: false });
  for (let i = 0; i < rows; i++) await w.write({ ...pool[i % pool.length], id: `r${String(i).padStart(7, '0')}` });
  await w.finalize();
  const write = sec(t);
  const read = async (): Promise<number> => {
    const t0 = performance.now();
    let n = 0;
    for await (const b of ticketBatches(await openDataset(dir))) n += b.numRows;
    if (n !== rows) throw new Error(`read ${n}`);
    return sec(t0);
  };
  const readBest = Math.min(await read(), await read(), await read());
  const loader = await TicketLoader.open([dir], { batchSize: 64, shuffle: 'block', block: 512, seed: 1, verify: 'always' });
  const epoch = async (e: number): Promise<number> => {
    const t0 = performance.now();
    let n = 0;
    for await (const b of loader.batches(e)) n += b.size;
    if (n !== rows) throw new Error(`loader ${n}`);
    return sec(t0);
  };
  const loaderBest = Math.min(await epoch(0), await epoch(1));
  const out: Record<string, number> = { bytes: (await dirBytes(dir)) / rows, write: rows / write, read: rows / readBest, loader: rows / loaderBest };
  if (meta.patchEncoding) {
    let se = 0;
    let values = 0;
    let i = 0;
    for await (const r of ticketRows(await openDataset(dir), { view: true })) {
      const want = pool[i++ % pool.length].patches;
      for (let j = 0; j < want.length; j++) se += (want[j] - r.patches[j]) ** 2;
      values += want.length;
    }
    out.psnr = 10 * Math.log10((255 * 255) / (se / values));
    const py = spawnSync(PYTHON, ['-c', PY_READ, dir], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(py.stderr);
    out.pyMsPerRow = Number(py.stdout.trim()) * 1000;
  }
  return out;
}

const jpeg = (quality: number): DatasetMeta => ({ ...ds.meta, patchEncoding: jpegEncoding(ds.meta, quality) });
const variants: Variant[] = [
  { name: 'none', meta: ds.meta },
  { name: 'lz4', meta: { ...ds.meta, compression: Compression.Lz4 } },
  { name: 'zstd', meta: { ...ds.meta, compression: Compression.Zstd } },
  { name: 'jpeg q90', meta: jpeg(90) },
  { name: 'jpeg q75', meta: jpeg(75) },
];
const results = new Map<string, Record<string, number>>();
for (const v of variants) results.set(v.name, await measure(v));

const none = results.get('none') as Record<string, number>;
console.log(`dlth compression bench: ${photoCount} photo crops (scikit-image), 224/16, k = ${ds.meta.k} (keep ${keep}), ${rows} rows; ${cpus()[0]?.model}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`source JPEG (quality 90): ${(jpegBytes / photoCount / 1024).toFixed(1)} KiB per image`);
console.log('| shards | KiB per image | vs none | vs source JPEG | write rows/s | read rows/s | loader rows/s (vs none) | PSNR dB | Python ms/row |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [name, r] of results) {
  const lossy = r.psnr === undefined ? '– | –' : `${r.psnr.toFixed(1)} | ${r.pyMsPerRow.toFixed(2)}`;
  console.log(`| ${name} | ${(r.bytes / 1024).toFixed(1)} | ${(r.bytes / none.bytes).toFixed(2)} | ${(r.bytes / (jpegBytes / photoCount)).toFixed(2)} | ${r.write.toFixed(0)} | ${r.read.toFixed(0)} | ${r.loader.toFixed(0)} (${(r.loader / none.loader).toFixed(2)}) | ${lossy} |`);
}
