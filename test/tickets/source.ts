/** A tiny in-memory Source of synthetic raw images (some indices can be made to fail). */
import type { PatchifyConfig } from '../../src/patchify/types.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import type { ImagePayload, SampleRef, Source } from '../../src/sources/types.js';
import { ImageError } from '../../src/util/errors.js';
import type { EngineOptions } from '../../src/engine/options.js';
import type { MaterializeOptions } from '../../src/tickets/materialize.js';

export function syntheticSource(size: number, side = 32, fail: ReadonlySet<number> = new Set()): Source {
  const id = (i: number): string => `img-${String(i).padStart(4, '0')}`;
  return {
    kind: 'synthetic',
    classes: ['a', 'b', 'c'],
    fingerprint: `synthetic:${size}:${side}`,
    size,
    ref: (i: number): SampleRef => ({ id: id(i), label: i % 3, location: `mem#${i}` }),
    load: async (i: number): Promise<ImagePayload> => {
      await new Promise((r) => setTimeout(r, (i * 7) % 3));
      if (fail.has(i)) throw new ImageError('synthetic decode failure', { file: `mem#${i}` });
      const data = new Uint8Array(side * side * 3);
      for (let j = 0; j < data.length; j++) data[j] = (i * 31 + j * 7) & 255;
      return { kind: 'raw', file: `mem#${i}`, image: { width: side, height: side, channels: 3, data } };
    },
  };
}

export function smallPatchify(side = 32, patch = 8): PatchifyConfig {
  return resolvePatchifyConfig({ imageSize: side, patchSize: patch, channels: 3, resize: 'none' });
}

/** materialize options written flat (engine fields beside the stage's), nested as the API takes them. */
export type FlatMaterializeOptions = Omit<MaterializeOptions, 'engine'> & EngineOptions;

export function nested(flat: FlatMaterializeOptions): MaterializeOptions {
  const { out, worker, batchSize, concurrency, align, shardBytes, batchBytes, maxFailures, force, progress, signal, fs, ...rest } = flat;
  return { ...rest, engine: { out, worker, batchSize, concurrency, align, shardBytes, batchBytes, maxFailures, force, progress, signal, fs } };
}
