/**
 * Parity of the pixels dlth feeds the selector with what Hugging Face's AutoImageProcessor feeds
 * the model, on the real photos of scikit-image's data directory (24 of varied sizes, RGB and
 * grayscale; the two with alpha are left out: PIL's convert('RGB') drops alpha where dlth
 * flattens it onto the background). Three processors: ViT (fixed 224 bilinear), DeiT (fixed 256
 * bicubic + 224 crop), ConvNext-style (shortest edge 256 = 224/0.875, crop). For each, every sharp
 * kernel is measured (max and mean |Δ| after normalisation) and the kernel dlth maps the
 * processor's PIL filter to must be the closest. dlth decodes these like PIL (pilParity: ICC
 * profiles ignored, no JPEG shrink-on-load): with libvips' colour management, color.png and
 * rocket.jpg (which embed ICC profiles) were off by 15.7 and 5.6 grey levels on average.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/model/configs.js';
import { decodeImage } from '../../src/patchify/decode.js';
import type { Interpolation } from '../../src/patchify/types.js';
import { patchifyConfigFor, SHARP_KERNEL, type Preprocessing } from '../../src/preprocessing/resolve.js';
import { fromHfProcessor } from '../../src/preprocessing/read.js';

const PYTHON = '.venv/bin/python';
const KERNELS: Interpolation[] = ['nearest', 'linear', 'cubic', 'lanczos3'];
const MODEL = resolveConfig({ imageSize: [224, 224], patchSize: 16 });

function skimagePhotos(): string[] | string {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (npm run setup)`;
  const r = spawnSync(PYTHON, ['-c', 'import skimage, transformers, os; print(os.path.join(os.path.dirname(skimage.__file__), "data"))'], { encoding: 'utf8' });
  if (r.status !== 0) return `scikit-image or transformers not importable in ${PYTHON} (pip install scikit-image)`;
  const dir = r.stdout.trim();
  const alpha = new Set(['horse.png', 'logo.png']);
  return readdirSync(dir).filter((f) => /\.(png|jpg)$/.test(f) && !alpha.has(f)).sort().map((f) => join(dir, f));
}

const photos = skimagePhotos();
const skip = typeof photos === 'string' ? photos : undefined;
let root = '';

before(() => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'dlth-hf-pre-'));
  const r = spawnSync(PYTHON, ['scripts/parity/hf_preprocess.py', root, ...(photos as string[])], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
});

interface Diff { max: number; mean: number }

/** |Δ| between dlth's normalised pixels (HWC uint8) and HF's CHW floats. */
function diff(u8: Uint8Array, hf: Float32Array, pre: Preprocessing): Diff {
  const [h, w] = pre.imageSize;
  let max = 0;
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < h * w; i++) {
      const ours = (u8[i * 3 + c] / 255 - pre.mean[c]) / pre.std[c];
      const d = Math.abs(ours - hf[c * h * w + i]);
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { max, mean: sum / (3 * h * w) };
}

test('dlth pixels vs AutoImageProcessor on 24 scikit-image photos: the mapped sharp kernel is the closest', { skip }, async () => {
  const list = photos as string[];
  assert.ok(list.length >= 20, `${list.length} photos`);
  for (const name of ['vit', 'deit', 'convnext']) {
    const file = join(root, name, 'preprocessor_config.json');
    const pre = fromHfProcessor(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>, file, MODEL);
    const rows: [Interpolation, Diff][] = [];
    for (const kernel of KERNELS) {
      const cfg = patchifyConfigFor(pre, MODEL, { interpolation: kernel });
      let max = 0;
      let mean = 0;
      for (let i = 0; i < list.length; i++) {
        const img = await decodeImage({ kind: 'encoded', file: list[i], bytes: readFileSync(list[i]) }, cfg);
        const hf = new Float32Array(readFileSync(join(root, name, `${i}.f32`)).buffer.slice(0));
        const d = diff(img.data, hf, pre);
        max = Math.max(max, d.max);
        mean += d.mean / list.length;
      }
      rows.push([kernel, { max, mean }]);
    }
    const mapped = SHARP_KERNEL[pre.interpolation];
    const best = rows.reduce((a, b) => (b[1].mean < a[1].mean ? b : a));
    console.log(`${name} (PIL ${pre.interpolation} → sharp ${mapped}): ${rows.map(([k, d]) => `${k} max ${d.max.toFixed(3)} mean ${d.mean.toFixed(4)}`).join('; ')}`);
    assert.equal(best[0], mapped, `${name}: closest kernel ${best[0]}, mapped ${mapped}`);
    assert.ok(best[1].mean < 0.015, `${name}: mean |Δ| ${best[1].mean} after normalisation`);
  }
});
