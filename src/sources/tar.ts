/**
 * A small, strict tar reader for untrusted archives (webdataset shards): it lists members, it
 * never extracts anything. Formats: POSIX ustar (the 155-byte name prefix), pax extended headers
 * (`x`: `path`, `size` and `linkpath` apply to the next member; `g` global headers are read and
 * ignored) and GNU long names (`L`; `K` long link names are read and ignored), sizes in octal or
 * GNU base-256. Every header's checksum is verified; a member whose data runs past the end of the
 * file, a header cut short, or an archive without its end-of-archive zero block is one InputError
 * naming the file and the byte offset. Members are reported with their type: the caller refuses
 * links, devices and FIFOs (nothing here follows or creates them).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { InputError, errnoCode } from '../util/errors.js';

export const BLOCK = 512;

export type TarMemberType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo' | 'other';

export interface TarMember {
  /** The member's path as stored (pax `path`, GNU long name or ustar prefix/name). */
  name: string;
  type: TarMemberType;
  /** Byte offset of the member's data in the archive. */
  offset: number;
  /** Bytes of data (0 for links, devices, FIFOs and directories). */
  size: number;
  /** Byte offset of the member's (first) header, for messages. */
  header: number;
}

/** Random access to the archive's bytes. */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (the caller never asks past `size`). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Longest pax header or GNU long name read (their data is held in memory). */
export const MAX_META_BYTES = 1 << 20;

const TYPES: Record<string, TarMemberType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'chardev', '4': 'blockdev', '5': 'directory', '6': 'fifo',
};

const decoder = new TextDecoder('utf-8', { fatal: false });

function cString(b: Uint8Array, start: number, length: number): string {
  const field = b.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

/** A numeric header field: octal text (NUL/space padded) or GNU base-256 (high bit set); null if malformed. */
function numberField(b: Uint8Array, start: number, length: number): number | null {
  const field = b.subarray(start, start + length);
  if (field[0] & 0x80) {
    if (field[0] & 0x40) return null; // negative
    let v = field[0] & 0x3f;
    for (let i = 1; i < field.length; i++) {
      v = v * 256 + field[i];
      if (v > Number.MAX_SAFE_INTEGER) return null;
    }
    return v;
  }
  const text = decoder.decode(field).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return null;
  const v = parseInt(text, 8);
  return Number.isSafeInteger(v) ? v : null;
}

function checksumOk(b: Uint8Array): boolean {
  const stored = numberField(b, 148, 8);
  if (stored === null) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}

const isZero = (b: Uint8Array): boolean => b.every((v) => v === 0);

/** pax records `<len> <key>=<value>\n`; a malformed record is an InputError. */
function paxRecords(data: Uint8Array, file: string, at: number): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // NUL padding
    const space = data.indexOf(0x20, i);
    const len = space < 0 ? NaN : Number(decoder.decode(data.subarray(i, space)));
    if (!Number.isSafeInteger(len) || len <= space - i || i + len > data.length || data[i + len - 1] !== 0x0a) {
      throw new InputError(`bad pax extended header at offset ${at}`, { file });
    }
    const record = decoder.decode(data.subarray(space + 1, i + len - 1));
    const eq = record.indexOf('=');
    if (eq <= 0) throw new InputError(`bad pax extended header record at offset ${at}`, { file });
    out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Lists the members of the archive `src` (`file` names it in messages), in archive order. */
export async function listTar(src: ByteSource, file: string): Promise<TarMember[]> {
  const members: TarMember[] = [];
  const truncated = (at: number, what: string): InputError =>
    new InputError(`truncated tar archive: ${what} at offset ${at}, but the file ends at ${src.size}`, { file });
  let at = 0;
  let pax: Map<string, string> | null = null;
  let longName: string | null = null;
  let first = -1;
  for (;;) {
    if (at + BLOCK > src.size) {
      if (at === 0) throw new InputError(`not a tar archive: ${src.size} bytes, shorter than one header`, { file });
      throw at >= src.size
        ? new InputError(`truncated tar archive: it ends at offset ${src.size} without the end-of-archive block`, { file })
        : truncated(at, 'a header');
    }
    const h = await src.read(at, BLOCK);
    if (isZero(h)) {
      if (pax || longName !== null) throw new InputError(`tar archive ends at offset ${at} after an extended header without its member`, { file });
      return members;
    }
    if (!checksumOk(h)) {
      throw new InputError(`bad tar header at offset ${at}: checksum mismatch (${at === 0 ? 'not a tar archive' : 'corrupt archive'})`, { file });
    }
    if (first < 0) first = at;
    const flag = String.fromCharCode(h[156]);
    const size = numberField(h, 124, 12);
    if (size === null) throw new InputError(`bad tar header at offset ${at}: unreadable size field`, { file });
    const data = at + BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > MAX_META_BYTES) throw new InputError(`tar extended header at offset ${at} is ${size} bytes (more than ${MAX_META_BYTES})`, { file });
      if (data + size > src.size) truncatedMember(data, size);
      const body = await src.read(data, size);
      if (flag === 'x') pax = paxRecords(body, file, at);
      else if (flag === 'g') paxRecords(body, file, at);
      else if (flag === 'L') longName = cString(body, 0, body.length);
      at = data + Math.ceil(size / BLOCK) * BLOCK;
      continue;
    }
    const ustar = cString(h, 257, 6) === 'ustar' && h[262] === 0; // POSIX (GNU writes "ustar  ")
    const prefix = ustar ? cString(h, 345, 155) : '';
    const shortName = cString(h, 0, 100);
    const name = pax?.get('path') ?? longName ?? (prefix ? `${prefix}/${shortName}` : shortName);
    let memberSize = size;
    const paxSize = pax?.get('size');
    if (paxSize !== undefined) {
      if (!/^\d+$/.test(paxSize) || !Number.isSafeInteger(Number(paxSize))) throw new InputError(`bad pax size ${JSON.stringify(paxSize)} at offset ${at}`, { file });
      memberSize = Number(paxSize);
    }
    const type = TYPES[flag] ?? 'other';
    const dataSize = type === 'file' || type === 'other' ? memberSize : 0;
    if (data + dataSize > src.size) truncatedMember(data, dataSize);
    members.push({ name, type, offset: data, size: dataSize, header: at });
    pax = null;
    longName = null;
    at = data + Math.ceil(dataSize / BLOCK) * BLOCK;
  }

  function truncatedMember(data: number, size: number): never {
    throw truncated(data, `a member's ${size} bytes of data start`);
  }
}

/** A ByteSource over a local file: reads go through a 1 MiB window (headers come in runs). */
export class FileBytes implements ByteSource {
  private window: Uint8Array = new Uint8Array(0);
  private windowAt = 0;
  private constructor(private readonly handle: FileHandle, readonly size: number, readonly file: string) {}

  static async open(file: string): Promise<FileBytes> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      const code = errnoCode(err);
      throw new InputError(`cannot open tar shard${code ? ` (${code})` : ''}`, { file, cause: err });
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw new InputError('not a regular file (a tar shard must be a file)', { file });
    }
    return new FileBytes(handle, st.size, file);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset >= this.windowAt && offset + length <= this.windowAt + this.window.length) {
      return this.window.subarray(offset - this.windowAt, offset - this.windowAt + length);
    }
    if (length > 1 << 20) return readAt(this.handle, offset, length, this.file);
    this.windowAt = offset;
    this.window = await readAt(this.handle, offset, Math.min(1 << 20, this.size - offset), this.file);
    return this.window.subarray(0, length);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Exactly `length` bytes at `offset` of an open file (an InputError if it has shrunk). */
export async function readAt(handle: FileHandle, offset: number, length: number, file: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(out, got, length - got, offset + got);
    if (bytesRead === 0) throw new InputError(`file ended at offset ${offset + got} while reading ${length} bytes at ${offset} (changed while in use?)`, { file });
    got += bytesRead;
  }
  return out;
}
