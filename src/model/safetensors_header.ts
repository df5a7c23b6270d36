/**
 * The header of a safetensors file alone (tensor names, shapes, metadata), read without the data:
 * what validation needs to know of a checkpoint before anything is decoded. Bounded like the full
 * reader: the header's length against the file and safetensors' limit, its nesting before JSON.parse.
 */
import { open } from 'node:fs/promises';
import { CheckpointError, ioError } from '../util/errors.js';
import { parseBoundedJson } from './json_file.js';
import { headerLength } from './safetensors_sniff.js';

export interface SafetensorsHeader {
  shapes: Map<string, { shape: number[] }>;
  metadata: Record<string, string>;
}

async function headerText(path: string): Promise<string> {
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw ioError(err, path, 'reading a checkpoint');
  });
  try {
    const size = (await fh.stat()).size;
    const head = new Uint8Array(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    const len = headerLength(head.subarray(0, bytesRead), size, path);
    const bytes = new Uint8Array(len);
    await fh.read(bytes, 0, len, 8);
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`not a safetensors file: ${(err as Error).message}`, { file: path, cause: err });
  } finally {
    await fh.close();
  }
}

export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const header = parseBoundedJson(await headerText(path), path, 'safetensors header', 4);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CheckpointError('not a safetensors file: header is not an object', { file: path });
  const shapes = new Map<string, { shape: number[] }>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = Object.fromEntries(Object.entries((raw ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const shape = (raw as { shape?: unknown } | null)?.shape;
    if (!Array.isArray(shape) || !shape.every((x) => Number.isSafeInteger(x) && x >= 0)) throw new CheckpointError(`tensor ${JSON.stringify(name)}: malformed header entry`, { file: path });
    shapes.set(name, { shape: shape as number[] });
  }
  return { shapes, metadata };
}
