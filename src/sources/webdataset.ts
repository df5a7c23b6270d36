/**
 * `webdataset`: WebDataset `.tar` shards (local paths, directories, globs, brace ranges, http(s)
 * URLs: paths.ts). Members are grouped into samples as WebDataset does: the key is the member path
 * up to the first dot of its file name (`train/000123.jpg` → key `train/000123`, suffix `jpg`;
 * suffixes compared in lower case); names without such a dot are ignored, as are directories.
 * - image: the first present of the suffixes `jpg jpeg png webp gif tif tiff ppm pgm` (`ppm`/`pgm`
 *   binary Netpbm, decoded by pnm.ts);
 * - label: the first present of `cls`, `cls.txt`, `class`, `label` (integer text, e.g. `7\n`), else
 *   a `json` member's integer `label` field, else its `cls` field.
 * When no sample of any shard has a label, the source is unlabelled (labels null); otherwise a
 * sample without one, or with a label that is not a non-negative integer (or not below the number
 * of `classes` given), is a failed sample. So is a sample without an image member, one whose image
 * is larger than maxFileBytes, and one with a member that is a symlink, hard link, device, FIFO or
 * other special entry (refused: nothing is extracted, but such a member is never read either).
 * Failed samples reach errors.jsonl as `<shard>#<member>` with the reason.
 * Ids are `<shard name without .tar>/<key>`, sorted (two shards with the same name are an
 * error); `offset`/`limit` take a contiguous range of that order, ids unchanged. A shard's headers
 * are read at open (shards given as URLs are downloaded first, into a temporary directory removed
 * at exit); a truncated or corrupt shard is an InputError naming it and the offset (tar.ts).
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { ImageError, InputError, show } from '../util/errors.js';
import type { ImagePayload, SampleRef, Source, WebDatasetSourceConfig } from './types.js';
import { checkIndex, compareIds, listingFingerprint, resolveMaxFileBytes } from './common.js';
import { expandFileList, isUrl } from './paths.js';
import { downloadToTemp } from './remote.js';
import { FileBytes, listTar, readAt, type TarMember } from './tar.js';
import { decodePnm } from './pnm.js';
import { displayLocation } from '../loader/store/location.js';

export const WDS_IMAGE_SUFFIXES: readonly string[] = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'tif', 'tiff', 'ppm', 'pgm'];
export const WDS_LABEL_SUFFIXES: readonly string[] = ['cls', 'cls.txt', 'class', 'label'];
/** Largest label text member read; a json member is read up to this × 1024. */
const MAX_LABEL_BYTES = 1024;
/** Largest shard downloaded (a bound on the temporary disk used per shard). */
export const MAX_SHARD_BYTES = 64 * 1024 ** 3;

interface Shard {
  /** As shown in messages and ids' sources: the path, or the URL without credentials. */
  display: string;
  /** Local file read (the path, or the downloaded copy). */
  path: string;
  name: string;
}

interface Sample {
  id: string;
  shard: number;
  label: number | null;
  image: TarMember | null;
  /** Why the sample fails, and the member it is about; null when it is sound. */
  problem: { member: string; reason: string } | null;
  /** Whether the sample had a label member (valid or not). */
  labelled: boolean;
}

/** WebDataset's split of a member path into key and suffix (its regex; null: not part of a sample). */
export function splitKey(name: string): { key: string; suffix: string } | null {
  const m = /^((?:.*\/|)[^.]+)\.([^/]*)$/.exec(name);
  return m ? { key: m[1], suffix: m[2].toLowerCase() } : null;
}

function parseLabelText(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return null;
  const v = Number(t);
  return v <= 0x7fffffff ? v : null;
}

type LabelResult = { label: number } | { error: string } | null;

async function readLabel(bytes: FileBytes, member: TarMember, suffix: string): Promise<LabelResult> {
  const json = suffix === 'json';
  const limit = json ? MAX_LABEL_BYTES * 1024 : MAX_LABEL_BYTES;
  if (member.size > limit) return json ? null : { error: `label member ${show(member.name)} is ${member.size} bytes (more than ${limit})` };
  const text = new TextDecoder().decode(await bytes.read(member.offset, member.size));
  if (!json) {
    const v = parseLabelText(text);
    return v === null ? { error: `label member ${show(member.name)} holds ${show(text.trim(), 40)}, not a non-negative integer` } : { label: v };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null; // metadata we cannot read gives no label; a sample needing one fails for lack of it
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  const field = 'label' in obj ? 'label' : 'cls' in obj ? 'cls' : null;
  if (field === null) return null;
  const v = obj[field];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 0x7fffffff
    ? { label: v }
    : { error: `${show(member.name)} field ${show(field)} is ${show(v, 40)}, not a non-negative integer` };
}

/** The samples of one shard, in archive order of their first member. */
async function scanShard(shard: Shard, index: number): Promise<Sample[]> {
  const bytes = await FileBytes.open(shard.path);
  try {
    const members = await listTar({ size: bytes.size, read: (o, n) => bytes.read(o, n) }, shard.display);
    const groups = new Map<string, Map<string, TarMember>>();
    const refused = new Map<string, TarMember>();
    const repeated = new Map<string, string>();
    for (const m of members) {
      if (m.type === 'directory') continue;
      const split = splitKey(m.name);
      if (!split) continue;
      let g = groups.get(split.key);
      if (!g) groups.set(split.key, (g = new Map()));
      if (m.type !== 'file' && !refused.has(split.key)) refused.set(split.key, m);
      if (g.has(split.suffix) && !repeated.has(split.key)) repeated.set(split.key, m.name);
      g.set(split.suffix, m);
    }
    const out: Sample[] = [];
    for (const [key, g] of groups) {
      const id = `${shard.name}/${key}`;
      const suffix = WDS_IMAGE_SUFFIXES.find((s) => g.has(s));
      const image = suffix ? (g.get(suffix) as TarMember) : null;
      const sample: Sample = { id, shard: index, label: null, image, problem: null, labelled: false };
      out.push(sample);
      const bad = refused.get(key);
      if (bad) {
        sample.problem = { member: bad.name, reason: `member ${show(bad.name)} is a ${bad.type === 'other' ? 'special entry' : bad.type}: refused` };
        continue;
      }
      const twice = repeated.get(key);
      if (twice) {
        sample.problem = { member: twice, reason: `member ${show(twice)} appears twice in the shard` };
        continue;
      }
      for (const s of [...WDS_LABEL_SUFFIXES, 'json']) {
        const m = g.get(s);
        if (!m) continue;
        const r = await readLabel(bytes, m, s);
        if (r === null) continue;
        sample.labelled = true;
        if ('error' in r) sample.problem = { member: m.name, reason: r.error };
        else sample.label = r.label;
        break;
      }
      if (!image && !sample.problem) {
        sample.problem = { member: key, reason: `sample ${show(key)} has no image member (${WDS_IMAGE_SUFFIXES.join(', ')}); members: ${[...g.keys()].join(', ')}` };
      }
    }
    return out;
  } finally {
    await bytes.close();
  }
}

function shardName(location: string): string {
  const last = isUrl(location) ? (new URL(location).pathname.split('/').pop() ?? '') : basename(location);
  return last.replace(/\.tar$/i, '');
}

export class WebDatasetSource implements Source {
  readonly kind = 'webdataset';
  constructor(
    private readonly shards: readonly Shard[],
    private readonly samples: readonly Sample[],
    readonly classes: readonly string[] | null,
    readonly fingerprint: string,
    private readonly maxFileBytes: number,
  ) {}

  get size(): number {
    return this.samples.length;
  }

  private where(s: Sample, member: string): string {
    return `${this.shards[s.shard].display}#${member}`;
  }

  ref(index: number): SampleRef {
    checkIndex(index, this.samples.length, this.kind);
    const s = this.samples[index];
    return { id: s.id, label: s.label, location: this.where(s, s.image?.name ?? s.problem?.member ?? s.id) };
  }

  async load(index: number): Promise<ImagePayload> {
    checkIndex(index, this.samples.length, this.kind);
    const s = this.samples[index];
    if (s.problem) throw new ImageError(s.problem.reason, { file: this.where(s, s.problem.member) });
    const image = s.image as TarMember;
    const file = this.where(s, image.name);
    if (image.size > this.maxFileBytes) throw new ImageError(`${image.size} bytes is more than maxFileBytes ${this.maxFileBytes}`, { file });
    const handle = await open(this.shards[s.shard].path, 'r');
    let bytes: Uint8Array;
    try {
      bytes = await readAt(handle, image.offset, image.size, this.shards[s.shard].display);
    } finally {
      await handle.close();
    }
    const suffix = image.name.slice(image.name.lastIndexOf('.') + 1).toLowerCase();
    if (suffix === 'ppm' || suffix === 'pgm') return { kind: 'raw', file, image: decodePnm(bytes, file) };
    return { kind: 'encoded', file, bytes };
  }
}

function checkRange(value: number | undefined, name: string, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
    throw new InputError(`${name} ${show(value)} is not ${min === 0 ? 'a non-negative' : 'a positive'} integer`);
  }
}

export async function openWebDataset(config: WebDatasetSourceConfig): Promise<WebDatasetSource> {
  if (!Array.isArray(config.shards) || config.shards.length === 0) throw new InputError('webdataset source: give `shards` (paths, directories, globs or URLs of .tar files)');
  checkRange(config.limit, 'webdataset limit', 1);
  checkRange(config.offset, 'webdataset offset', 0);
  const locations = await expandFileList(config.shards, '.tar', 'tar shard');
  const maxFileBytes = resolveMaxFileBytes(config.maxFileBytes, displayLocation(locations[0]));
  const shards: Shard[] = [];
  const seen = new Map<string, string>();
  for (const location of locations) {
    const display = displayLocation(location);
    const name = shardName(location);
    const other = seen.get(name);
    if (other !== undefined) throw new InputError(`two shards named ${show(name)} (${other} and ${display}): sample ids would collide`);
    seen.set(name, display);
    shards.push({ display, name, path: isUrl(location) ? await downloadToTemp(location, MAX_SHARD_BYTES) : location });
  }
  let samples: Sample[] = [];
  for (let i = 0; i < shards.length; i++) samples.push(...(await scanShard(shards[i], i)));
  if (samples.length === 0) throw new InputError(`no samples in ${shards.length} shard${shards.length > 1 ? 's' : ''} (members named <key>.<suffix>)`, { file: shards[0].display });
  samples.sort((a, b) => compareIds(a.id, b.id));
  const classes = config.classes ?? null;
  if (samples.some((s) => s.labelled)) {
    for (const s of samples) {
      if (s.problem) continue;
      if (!s.labelled) s.problem = { member: s.image?.name ?? s.id, reason: `sample has no label member (${WDS_LABEL_SUFFIXES.join(', ')} or json {"label"})` };
      else if (classes && (s.label as number) >= classes.length) s.problem = { member: s.image?.name ?? s.id, reason: `label ${s.label} is not below the ${classes.length} classes` };
      if (s.problem) s.label = null;
    }
  }
  const offset = config.offset ?? 0;
  if (offset > samples.length) throw new InputError(`webdataset offset ${offset} is past the ${samples.length} samples`, { file: shards[0].display });
  samples = samples.slice(offset, config.limit === undefined ? undefined : offset + config.limit);
  const fingerprint = listingFingerprint('webdataset', classes, samples.map((s) => ({ id: s.id, label: s.label, size: s.image?.size ?? -1 })));
  return new WebDatasetSource(shards, samples, classes, fingerprint, maxFileBytes);
}
