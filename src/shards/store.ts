/**
 * Where a dataset's files come from. The reader only needs this small interface, so a remote store
 * (http(s) base URL) can be added beside the local one. Reads are "bring your own buffer": the
 * reader passes reused buffers and the store fills them, so no memory is allocated per shard.
 */
import type { FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { errnoCode, InputError, ioError, ManifestError, ShardError, show } from '../util/errors.js';
import { nodeFs, type Fs } from '../util/fsx.js';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, SHARD_FILE_PATTERN } from './manifest.js';

/** An open shard: sequential reads into caller buffers. */
export interface ShardSource {
  /** Fills `into` from the current position; returns bytes read (0 at end of file). */
  read(into: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

export interface DatasetStore {
  /** Directory path or base URL, for messages. */
  readonly location: string;
  /** The manifest's bytes; throws ManifestError if missing or larger than `maxBytes`. */
  readManifest(maxBytes?: number): Promise<Uint8Array>;
  /** Size in bytes of a shard named in the manifest. */
  size(name: string): Promise<number>;
  openShard(name: string): Promise<ShardSource>;
  /** The full location of `name`, for error messages. */
  describe(name: string): string;
}

/** A dataset directory on a local file system. Never reads outside it, even through symlinks. */
export class LocalStore implements DatasetStore {
  readonly location: string;
  private root: string | undefined;

  constructor(dir: string, private readonly fs: Fs = nodeFs) {
    this.location = resolve(dir);
  }

  describe(name: string): string {
    return join(this.location, name);
  }

  async readManifest(maxBytes = MAX_MANIFEST_BYTES): Promise<Uint8Array> {
    const path = await this.resolveInside(MANIFEST_FILE, 'manifest');
    const size = await this.statFile(path, MANIFEST_FILE, 'manifest');
    if (size > maxBytes) {
      throw new ManifestError(`${size} bytes is larger than the ${maxBytes}-byte limit`, { file: path });
    }
    try {
      return await this.fs.readFile(path);
    } catch (err) {
      throw ioError(err, path, 'read manifest');
    }
  }

  async size(name: string): Promise<number> {
    return this.statFile(await this.resolveInside(name, 'shard'), name, 'shard');
  }

  async openShard(name: string): Promise<ShardSource> {
    const path = await this.resolveInside(name, 'shard');
    let fh: FileHandle;
    try {
      fh = await this.fs.open(path, 'r');
    } catch (err) {
      throw ioError(err, path, 'open shard');
    }
    return {
      read: async (into) => {
        try {
          return (await fh.read(into, 0, into.length, null)).bytesRead;
        } catch (err) {
          throw ioError(err, path, 'read shard');
        }
      },
      close: () => fh.close(),
    };
  }

  /** Resolves `name` (one safe path component) and checks its real path stays in the directory. */
  private async resolveInside(name: string, what: 'manifest' | 'shard'): Promise<string> {
    const Err = what === 'manifest' ? ManifestError : ShardError;
    const path = this.describe(name);
    if (name !== MANIFEST_FILE && !SHARD_FILE_PATTERN.test(name)) {
      throw new ManifestError(`shard file name ${show(name)} is not a plain file name in the dataset directory`, { file: path });
    }
    try {
      this.root ??= await this.fs.realpath(this.location);
    } catch (err) {
      // A path the user named that is not there is bad input (exit 3), not bad data.
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError(`no such dataset directory (${code})`, { file: this.location, cause: err });
      throw new Err(`dataset directory is not readable (${String(err)})`, { file: this.location, cause: err });
    }
    let real: string;
    try {
      real = await this.fs.realpath(path);
    } catch (err) {
      throw new Err(`${what} file is missing or unreadable`, { file: path, cause: err });
    }
    if (!real.startsWith(this.root + sep)) {
      throw new ManifestError(`${what} file resolves outside the dataset directory (${real})`, { file: path });
    }
    return real;
  }

  private async statFile(real: string, name: string, what: string): Promise<number> {
    try {
      const st = await this.fs.stat(real);
      if (!st.isFile()) throw new ShardError(`${what} is not a regular file`, { file: this.describe(name) });
      return st.size;
    } catch (err) {
      if (err instanceof ShardError) throw err;
      throw ioError(err, this.describe(name), `stat ${what}`);
    }
  }
}
