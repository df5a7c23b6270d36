import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createPatchifyPool, patchify, resolvePatchifyConfig, type PatchGrid, type PatchifyConfig } from '../../src/patchify/index.js';
import { fromWire, toWire } from '../../src/patchify/frames.js';
import { childExecArgv } from '../../src/patchify/procpool.js';
import { createContext } from '../../src/pipeline/context.js';
import type { Pipeline } from '../../src/pipeline/types.js';
import { validatePipeline } from '../../src/pipeline/validate.js';
import { openSource } from '../../src/sources/index.js';
import type { ImagePayload, Source } from '../../src/sources/types.js';
import { materialize } from '../../src/tickets/materialize.js';
import {
  DecodeProcessError,
  DlthError,
  ImageError,
  InputError,
  IoError,
  PipelineError,
  TooManyFailuresError,
} from '../../src/util/errors.js';
import { snapshot, tempDir } from '../shards/helpers.js';
import { encodePhoto, photo, pngDeclaring, quadrants, type Format } from './images.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FASHION = '/usr/share/datasets/fashion-mnist';
/** Tests that start processes: a hang (a request never settled, a child never reaped) fails them. */
const T = { timeout: 60_000 };
const enc = (bytes: Uint8Array, file: string): ImagePayload => ({ kind: 'encoded', file, bytes });
const deit = (size: number, patch: number, channels: 1 | 3 = 3): PatchifyConfig => resolvePatchifyConfig({ imageSize: size, patchSize: patch, channels });

function assertSameGrid(got: PatchGrid, want: PatchGrid, what: string): void {
  assert.deepEqual([got.gridH, got.gridW, got.patchSize, got.channels], [want.gridH, want.gridW, want.patchSize, want.channels], what);
  assert.equal(got.patches.length, want.patches.length, what);
  assert.ok(Buffer.from(got.patches.buffer, got.patches.byteOffset, got.patches.length)
    .equals(Buffer.from(want.patches.buffer, want.patches.byteOffset, want.patches.length)), `${what}: patches differ`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitDead(pids: readonly number[], ms = 5_000): Promise<number[]> {
  const end = Date.now() + ms;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < end) {
    await sleep(25);
    left = left.filter(alive);
  }
  return left;
}

/** JPEG (with EXIF orientation), PNG and WebP images of several sizes, shapes and colour modes. */
async function varied(): Promise<ImagePayload[]> {
  const out: ImagePayload[] = [];
  for (const format of ['jpeg', 'png', 'webp'] as Format[]) {
    for (const [w, h] of [[96, 64], [61, 83], [224, 224], [500, 375]]) {
      out.push(enc(await encodePhoto(format, w, h), `${format}-${w}x${h}.${format}`));
    }
  }
  const raw = quadrants(40, 24, [[255, 0, 0], [0, 255, 0], [0, 0, 255], [0, 0, 0]]);
  for (let o = 1; o <= 8; o++) {
    const jpeg = await sharp(raw, { raw: { width: 40, height: 24, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: o }).toBuffer();
    out.push(enc(jpeg, `orientation-${o}.jpg`));
  }
  const rgba = await sharp(await encodePhoto('png', 48, 32)).ensureAlpha(0.5).png().toBuffer();
  out.push(enc(rgba, 'alpha.png'));
  out.push(enc(photo('chelsea-150x100.jpg'), 'chelsea-150x100.jpg'));
  return out;
}

test('the pool gives patchify() byte for byte: JPEG/PNG/WebP, sizes, EXIF orientations, alpha, gray, out buffers', T, async () => {
  const images = await varied();
  const configs = [deit(32, 8), deit(224, 16), deit(48, 16, 1), resolvePatchifyConfig({ imageSize: [24, 40], patchSize: 8, resize: 'shorter' })];
  const pool = createPatchifyPool({ processes: 2 });
  try {
    for (const config of configs) {
      const got = await Promise.all(images.map((p) => pool.patchify(p, config)));
      for (let i = 0; i < images.length; i++) {
        assertSameGrid(got[i], await patchify(images[i], config), `${images[i].file} at ${config.imageSize} ${config.channels}ch`);
      }
    }
    assert.equal(pool.pids().length, 2);
    // The caller's output buffer is filled and returned, as in-process.
    const config = deit(32, 8);
    const out = new Uint8Array(32 * 32 * 3);
    const grid = await pool.patchify(images[0], config, { out });
    assert.equal(grid.patches, out);
    assertSameGrid(grid, await patchify(images[0], config), 'into out');
    await assert.rejects(pool.patchify(images[0], config, { out: new Uint8Array(10) }), InputError);
  } finally {
    await pool.close();
  }
});

test('raw payloads (Fashion-MNIST IDX) are patchified in-process: no child starts', { ...T, skip: !existsSync(FASHION) && 'no Fashion-MNIST' }, async () => {
  const source = await openSource({ kind: 'idx', dir: FASHION, split: 'test', limit: 8 });
  const config = resolvePatchifyConfig({ imageSize: 28, patchSize: 7, channels: 1, resize: 'none' });
  const resized = resolvePatchifyConfig({ imageSize: 32, patchSize: 8, channels: 3 });
  const pool = createPatchifyPool({ processes: 2 });
  try {
    for (let i = 0; i < source.size; i++) {
      const payload = await source.load(i);
      assert.equal(payload.kind, 'raw');
      for (const c of [config, resized]) assertSameGrid(await pool.patchify(payload, c), await patchify(payload, c), `${payload.file} ${c.imageSize}`);
    }
    assert.deepEqual(pool.pids(), []);
  } finally {
    await pool.close();
  }
});

test('undecodable files give the same error as in-process: class, message, file', T, async () => {
  const jpeg = await encodePhoto('jpeg', 120, 90);
  const png = await encodePhoto('png', 120, 90);
  const damaged = Buffer.from(jpeg); // scan data damaged: libvips decodes it anyway
  for (let i = 600; i < damaged.length - 2; i += 7) damaged[i] ^= 0x5a;
  const corrupt = Buffer.from(jpeg); // Huffman table overwritten: undecodable
  const dht = corrupt.indexOf(Buffer.from([0xff, 0xc4]));
  corrupt.fill(0xff, dht + 4, dht + 40);
  const bad: ImagePayload[] = [
    enc(Buffer.alloc(0), 'empty.jpg'),
    enc(jpeg.subarray(0, jpeg.length >> 1), 'truncated.jpg'),
    enc(png.subarray(0, png.length - 40), 'truncated.png'),
    enc(corrupt, 'corrupt.jpg'),
    enc(damaged, 'damaged.jpg'),
    enc(Buffer.from('this is not an image\n'), 'text.png'),
    enc(Buffer.from([0xff, 0xd8, 0xff]), 'header-only.jpg'),
    enc(pngDeclaring(30_000, 30_000), 'bomb.png'),
  ];
  const config = deit(32, 8);
  const pool = createPatchifyPool({ processes: 2 });
  try {
    const results = await Promise.allSettled(bad.map((p) => pool.patchify(p, config)));
    for (let i = 0; i < bad.length; i++) {
      const want = await patchify(bad[i], config).then(() => null, (e: unknown) => e);
      const got = results[i];
      if (want === null) {
        // libvips accepts some damaged files; then both must give the same pixels.
        assert.equal(got.status, 'fulfilled', bad[i].file);
        if (got.status === 'fulfilled') assertSameGrid(got.value, await patchify(bad[i], config), bad[i].file);
        continue;
      }
      assert.equal(got.status, 'rejected', `${bad[i].file} decoded in the pool but not in-process`);
      const err: unknown = got.reason;
      assert.ok(want instanceof ImageError, `${bad[i].file}: in-process error is ${String(want)}`);
      assert.ok(err instanceof Error);
      assert.equal(err.constructor, want.constructor, bad[i].file);
      assert.equal(err.message, want.message);
      assert.equal((err as ImageError).file, want.file);
      assert.equal((err as ImageError).code, want.code);
    }
    const failed = results.filter((r) => r.status === 'rejected').length;
    assert.equal(failed, bad.length - 1, 'every bad file but damaged.jpg fails');
    // The children survive bad files.
    assertSameGrid(await pool.patchify(enc(jpeg, 'ok.jpg'), config), await patchify(enc(jpeg, 'ok.jpg'), config), 'after errors');
  } finally {
    await pool.close();
  }
});

test('errors cross the pipe as the same class, message, file and fields', () => {
  const errors: Error[] = [
    new ImageError('corrupt or undecodable: VipsJpeg: bad', { file: 'a/b c.jpg', cause: new Error('libvips said no') }),
    new InputError('patch size 7 does not divide the image size 32×32'),
    new IoError('read failed (EACCES): nope', { file: '/x.jpg', syscallCode: 'EACCES' }),
    new PipelineError('expected an integer', '$.stages[0].keep', { file: 'p.json' }),
    new TooManyFailuresError('3 samples failed', 3, { file: 'errors.jsonl' }),
    new DecodeProcessError('decode process 1 was killed by SIGKILL', { file: 'k.jpg', signal: 'SIGKILL' }),
    new TypeError('x is not a function'),
  ];
  for (const e of errors) {
    const back = fromWire(JSON.parse(JSON.stringify(toWire(e))));
    assert.equal(back.constructor, e.constructor, e.name);
    assert.equal(back.name, e.name);
    assert.equal(back.message, e.message);
    if (e instanceof DlthError) {
      assert.ok(back instanceof DlthError);
      assert.equal(back.file, e.file);
      assert.equal(back.code, e.code);
    }
  }
  assert.equal((fromWire(toWire(errors[2])) as IoError).syscallCode, 'EACCES');
  assert.equal((fromWire(toWire(errors[3])) as PipelineError).path, '$.stages[0].keep');
  assert.equal((fromWire(toWire(errors[4])) as TooManyFailuresError).failures, 3);
  assert.equal((fromWire(toWire(errors[5])) as DecodeProcessError).signal, 'SIGKILL');
  assert.equal((fromWire(toWire(errors[0])).cause as Error).message, 'libvips said no');
});

test('a child killed mid-run fails only its requests in flight, with the file and signal; later requests succeed', T, async () => {
  const big = await sharp(await encodePhoto('png', 192, 128)).resize(1600, 1200).jpeg({ quality: 92 }).toBuffer();
  const config = deit(224, 16);
  const want = await patchify(enc(big, 'ref.jpg'), config);
  const pool = createPatchifyPool({ processes: 2 });
  try {
    const files = Array.from({ length: 24 }, (_, i) => `img-${i}.jpg`);
    let killed = -1;
    const runs = files.map((f, i) => pool.patchify(enc(big, f), config).then((grid) => {
      if (i === 0) {
        killed = pool.pids()[0];
        process.kill(killed, 'SIGKILL');
      }
      return grid;
    }));
    const results = await Promise.allSettled(runs);
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [[files[i], r.reason] as const] : []));
    assert.ok(failed.length >= 1 && failed.length <= 2, `${failed.length} failures: at most the 2 requests queued on the killed child`);
    for (const [file, err] of failed) {
      assert.ok(err instanceof DecodeProcessError, String(err));
      assert.ok(err instanceof ImageError, 'recorded like an undecodable image');
      assert.equal(err.file, file);
      assert.equal(err.signal, 'SIGKILL');
      assert.match(err.message, new RegExp(`^${file}: decode process ${killed} was killed by SIGKILL`));
      for (const [other] of failed) if (other !== file) assert.ok(err.message.includes(other), 'names the other files in flight');
    }
    for (const r of results) if (r.status === 'fulfilled') assertSameGrid(r.value, want, 'survivor');
    // Later requests go to the survivor and a replacement child.
    const later = await Promise.all(files.slice(0, 6).map((f) => pool.patchify(enc(big, f), config)));
    for (const g of later) assertSameGrid(g, want, 'after the kill');
    const pids = pool.pids();
    assert.equal(pids.length, 2);
    assert.ok(!pids.includes(killed));
  } finally {
    await pool.close();
  }
});

test('close() ends every child, waits for requests in flight, and refuses new ones', T, async () => {
  const jpeg = await encodePhoto('jpeg', 320, 240);
  const config = deit(32, 8);
  const pool = createPatchifyPool({ processes: 2 });
  await pool.patchify(enc(jpeg, 'warm.jpg'), config);
  const pids = pool.pids();
  assert.equal(pids.length, 2);
  assert.ok(pids.every(alive));
  const inFlight = Array.from({ length: 6 }, (_, i) => pool.patchify(enc(jpeg, `f${i}.jpg`), config));
  await pool.close();
  assert.equal((await Promise.allSettled(inFlight)).filter((r) => r.status === 'fulfilled').length, 6);
  assert.deepEqual(pids.filter(alive), [], 'no child left after close()');
  assert.deepEqual(pool.pids(), []);
  await assert.rejects(pool.patchify(enc(jpeg, 'late.jpg'), config), /closed/);
  await pool.close(); // idempotent
});

test('children exit when the parent dies (stdin EOF)', T, async () => {
  const dir = await tempDir();
  const script = join(dir, 'parent.mts');
  const procpool = new URL('../../src/patchify/index.ts', import.meta.url).href;
  await writeFile(script, `
import { createPatchifyPool, resolvePatchifyConfig } from ${JSON.stringify(procpool)};
const jpeg = ${JSON.stringify([...(await encodePhoto('jpeg', 64, 48))])};
const pool = createPatchifyPool({ processes: 2 });
await pool.patchify({ kind: 'encoded', file: 'x.jpg', bytes: Uint8Array.from(jpeg) }, resolvePatchifyConfig({ imageSize: 32, patchSize: 8 }));
process.stdout.write(JSON.stringify(pool.pids()) + '\\n');
process.kill(process.pid, 'SIGKILL');
`);
  const parent = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => parent.on('close', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL');
  const pids = JSON.parse(out.trim()) as number[];
  assert.equal(pids.length, 2);
  assert.deepEqual(await waitDead(pids), [], 'children outlived their parent');
});

test('child execArgv: the parent flags minus test runner/inspector/eval flags, tsx added for the TypeScript child', () => {
  assert.deepEqual(childExecArgv(['--import', 'tsx', '--test-reporter=spec', '--inspect-brk', '--max-old-space-size=512'], '/x/child.ts'),
    ['--import', 'tsx', '--max-old-space-size=512']);
  assert.deepEqual(childExecArgv(['-e', 'code', '--enable-source-maps'], '/x/child.js'), ['--enable-source-maps']);
  const added = childExecArgv([], '/x/child.ts');
  assert.equal(added[0], '--import');
  assert.match(added[1], /^file:.*tsx/);
});

/** An imagefolder of JPEGs (two classes, varied sizes and orientations) plus one corrupt and one empty file. */
async function jpegFolder(): Promise<string> {
  const root = await tempDir();
  for (const cls of ['cat', 'cup']) await mkdir(join(root, cls));
  const raw = quadrants(90, 60, [[200, 30, 30], [30, 200, 30], [30, 30, 200], [220, 220, 220]]);
  for (let i = 0; i < 14; i++) {
    const [w, h] = [[96, 64], [150, 100], [64, 96], [200, 150]][i % 4];
    const base = i % 3 === 0
      ? sharp(raw, { raw: { width: 90, height: 60, channels: 3 } }).resize(w, h, { fit: 'fill' })
      : sharp(await encodePhoto('png', w, h, i % 2 ? 'chelsea-150x100.jpg' : 'coffee-192x128.jpg'));
    const jpeg = await base.jpeg({ quality: 85 }).withMetadata({ orientation: 1 + (i % 8) }).toBuffer();
    await writeFile(join(root, i % 2 ? 'cat' : 'cup', `img-${String(i).padStart(2, '0')}.jpg`), jpeg);
  }
  await writeFile(join(root, 'cat', 'broken.jpg'), (await encodePhoto('jpeg', 96, 64)).subarray(0, 300));
  await writeFile(join(root, 'cup', 'empty.jpg'), Buffer.alloc(0));
  return root;
}

test('materialize with decodeProcesses 2 writes shards and errors.jsonl byte-identical to in-process', T, async () => {
  const root = await jpegFolder();
  const patchifyCfg = resolvePatchifyConfig({ imageSize: 32, patchSize: 8 });
  const run = async (decodeProcesses: number, concurrency?: number): Promise<Map<string, Buffer>> => {
    const out = await tempDir();
    const r = await materialize({
      source: await openSource({ kind: 'imagefolder', root }), patchify: patchifyCfg, policy: 'random', keep: 0.5, seed: 3,
      out, shardBytes: 65536, batchBytes: 4096, progress: false, maxFailures: 2, decodeProcesses, concurrency,
    });
    assert.equal(r.failures, 2);
    assert.equal(r.rows, 14);
    return snapshot(out);
  };
  const want = await run(0);
  assert.ok([...want.keys()].some((k) => k.endsWith('.arrow')));
  const errors = (want.get('errors.jsonl') as Buffer).toString('utf8');
  assert.match(errors, /broken\.jpg/);
  assert.match(errors, /empty\.jpg.*empty file/);
  for (const [dp, c] of [[2, undefined], [1, 1]] as const) {
    const got = await run(dp, c);
    assert.deepEqual([...got.keys()], [...want.keys()]);
    for (const [name, bytes] of want) assert.ok(bytes.equals(got.get(name) as Buffer), `decodeProcesses ${dp}: ${name} differs`);
  }
});

/** Pids of this process's decode processes, from /proc (Linux). */
function decodeChildren(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${name}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('patchify/child')) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('materialize stops when a decode process dies (no failure recorded); the rerun matches a clean run', { ...T, skip: !existsSync('/proc/self/stat') && 'needs /proc' }, async () => {
  const root = await tempDir();
  await mkdir(join(root, 'a'));
  const big = await sharp(await encodePhoto('png', 192, 128)).resize(1200, 900).jpeg({ quality: 90 }).toBuffer();
  for (let i = 0; i < 12; i++) await writeFile(join(root, 'a', `img-${String(i).padStart(2, '0')}.jpg`), big);
  const base = { patchify: resolvePatchifyConfig({ imageSize: 32, patchSize: 8 }), policy: 'full' as const, shardBytes: 65536, progress: false };
  const clean = await tempDir();
  await materialize({ ...base, source: await openSource({ kind: 'imagefolder', root }), out: clean });
  // Both children are killed when image 4 is loaded: images 0..3 were sent first (2 per child), and
  // the one each child started after its first result is still being decoded.
  const source = await openSource({ kind: 'imagefolder', root });
  let killed: number[] = [];
  const killing: Source = {
    kind: source.kind, classes: source.classes, fingerprint: source.fingerprint, size: source.size,
    ref: (i) => source.ref(i),
    load: async (i) => {
      if (i === 4 && killed.length === 0) {
        killed = decodeChildren();
        for (const pid of killed) process.kill(pid, 'SIGKILL');
      }
      return source.load(i);
    },
  };
  const dir = await tempDir();
  await assert.rejects(materialize({ ...base, source: killing, out: dir, decodeProcesses: 2, maxFailures: 100 }), (err: unknown) => {
    assert.ok(err instanceof DecodeProcessError, String(err));
    assert.match(err.message, /img-\d\d\.jpg: decode process \d+ was killed by SIGKILL/);
    return true;
  });
  assert.equal(killed.length, 2);
  assert.ok(!existsSync(join(dir, 'manifest.json')));
  assert.deepEqual(await waitDead(killed), []);
  await materialize({ ...base, source, out: dir, decodeProcesses: 2 });
  const [want, got] = [await snapshot(clean), await snapshot(dir)];
  assert.deepEqual([...got.keys()], [...want.keys()]);
  for (const [name, bytes] of want) assert.ok(bytes.equals(got.get(name) as Buffer), name);
  assert.deepEqual(decodeChildren(), [], 'materialize closed its pool');
});

test('dlth materialize --decode-processes 2 (tsx registered by bin/dlth.js) matches in-process output', T, async () => {
  const root = await jpegFolder();
  const [a, b] = [await tempDir(), await tempDir()];
  const args = (out: string) => ['bin/dlth.js', 'materialize', '--source', 'imagefolder', '--root', root, '--policy', 'full',
    '--image-size', '32', '--patch-size', '8', '--max-failures', '2', '-q', '-o', out];
  execFileSync(process.execPath, [...args(a), '--decode-processes', '0'], { cwd: ROOT, stdio: 'pipe' });
  execFileSync(process.execPath, [...args(b), '--decode-processes', '2'], { cwd: ROOT, stdio: 'pipe' });
  const [sa, sb] = [await snapshot(a), await snapshot(b)];
  assert.deepEqual([...sb.keys()], [...sa.keys()]);
  for (const [name, bytes] of sa) assert.ok(bytes.equals(sb.get(name) as Buffer), name);
  assert.match(await readFile(join(b, 'errors.jsonl'), 'utf8'), /broken\.jpg/);
});

test('pipeline files carry decodeProcesses; concurrency defaults to 2 per decode process', () => {
  const base = JSON.parse(readFileSync(join(ROOT, 'pipelines/fashion-mnist.json'), 'utf8')) as Pipeline;
  delete base.concurrency;
  const context = (p: Pipeline, options: { concurrency?: number; decodeProcesses?: number } = {}) =>
    createContext({ file: 'p.json', dir: ROOT, pipeline: validatePipeline(p, 'p.json') }, { out: '/tmp/x', worker: null, quiet: true, log: () => {}, ...options });
  assert.deepEqual([context(base).decodeProcesses, context(base).concurrency], [0, 2]);
  const withPool = { ...base, decodeProcesses: 3 };
  assert.deepEqual([context(withPool).decodeProcesses, context(withPool).concurrency], [3, 6]);
  assert.deepEqual([context({ ...withPool, concurrency: 2 }).concurrency], [2], 'an explicit concurrency wins');
  const flags = context(withPool, { decodeProcesses: 1, concurrency: 5 });
  assert.deepEqual([flags.decodeProcesses, flags.concurrency], [1, 5], 'CLI flags win');
  assert.throws(() => validatePipeline({ ...base, decodeProcesses: -1 }, 'p.json'), (err: unknown) => err instanceof PipelineError && err.path === '$.decodeProcesses');
});
