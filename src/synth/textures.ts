/** The texture photos shipped in data/textures/ (see its README for provenance and licence). */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoCode, InputError } from '../util/errors.js';
import { textureOf, type Texture } from './compose.js';
import { readPgm } from './pgm.js';

const candidates = ['../../data/textures', '../../../data/textures'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));

/** data/textures/ of this package (from src/ or the compiled dist/src/). */
export function defaultTextureDir(): string {
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

/** Every `*.pgm` / `*.pgm.gz` in `dir`, sorted by file name, each at least `size` pixels on a side. */
export async function loadTextures(dir: string, size: number): Promise<Texture[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.pgm(\.gz)?$/.test(n)).sort();
  } catch (err) {
    throw new InputError(`cannot list textures${errnoCode(err) ? ` (${errnoCode(err)})` : ''}`, { file: dir, cause: err });
  }
  if (names.length === 0) throw new InputError('no texture (*.pgm or *.pgm.gz) in the directory', { file: dir });
  const out: Texture[] = [];
  for (const n of names) {
    const file = join(dir, n);
    const img = await readPgm(file);
    if (img.width < size || img.height < size) throw new InputError(`texture is ${img.width}×${img.height}, smaller than the ${size}×${size} output`, { file });
    out.push(textureOf(img, n.replace(/\.pgm(\.gz)?$/, '')));
  }
  return out;
}
