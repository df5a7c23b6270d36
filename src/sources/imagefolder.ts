/**
 * `imagefolder`: torchvision's ImageFolder layout, `root/<class>/[sub-directories/]<image>`. Class index = the
 * class directory names in sorted order; ids = paths relative to root with `/` separators.
 * Differences from torchvision, on purpose: names starting with `.` are ignored (`.ipynb_checkpoints`,
 * `._x.jpg`), and a symlink to a directory that is already being walked (an ancestor, by real path)
 * is not followed, so a symlink loop cannot hang the listing. A directory linked from two places
 * is listed under both ids, as torchvision does. Unreadable directories are an InputError naming them.
 * A root whose class folders are all split names (train, val, …) holding class folders is refused
 * (allowSplitDirectories accepts it): the root is one level too high.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { extname, join } from 'node:path';
import { errnoCode, InputError, show } from '../util/errors.js';
import type { ImageFolderSourceConfig } from './types.js';
import { compareIds, IMAGE_EXTENSIONS, resolveMaxFileBytes } from './common.js';
import { FileListSource, type FileSample } from './file-list.js';
import { hint, Setting } from './hints.js';

type Found = FileSample;

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = errnoCode(err);
    throw new InputError(`cannot read directory${code ? ` (${code})` : ''}`, { file: dir, cause: err });
  }
}

/** 'dir', 'file' or null (other, or a dangling link) for an entry, following symlinks. */
async function entryKind(dir: string, e: Dirent): Promise<'dir' | 'file' | null> {
  if (e.isDirectory()) return 'dir';
  if (e.isFile()) return 'file';
  if (!e.isSymbolicLink()) return null;
  try {
    const s = await stat(join(dir, e.name));
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null;
  } catch (err) {
    // A dangling link or a link loop: keep it if it looks like an image, so load() reports it.
    return errnoCode(err) === 'ELOOP' || errnoCode(err) === 'ENOENT' ? 'file' : null;
  }
}

class Walker {
  readonly found: Found[] = [];
  /** Real paths of the directories being walked (the current chain): entering one again is a loop. */
  private readonly ancestors = new Set<string>();
  constructor(private readonly extensions: ReadonlySet<string>) {}

  async walk(dir: string, rel: string, label: number): Promise<void> {
    const real = await realpath(dir).catch(() => dir);
    if (this.ancestors.has(real)) return; // a symlink back to an ancestor: following it would never end
    this.ancestors.add(real);
    const entries = (await listDir(dir)).filter((e) => !e.name.startsWith('.'));
    for (const e of entries) {
      const kind = await entryKind(dir, e);
      const path = join(dir, e.name);
      if (kind === 'dir') await this.walk(path, `${rel}/${e.name}`, label);
      else if (kind === 'file' && this.extensions.has(extname(e.name).toLowerCase())) {
        this.found.push({ id: `${rel}/${e.name}`, label, path });
      }
    }
    this.ancestors.delete(real);
  }
}

/**
 * An empty class folder would still take a label and shift every later class's label: an error,
 * as in torchvision's ImageFolder, unless the source sets allowEmptyClasses.
 */
function checkNoEmptyClass(root: string, classes: readonly string[], samples: readonly Found[], extensions: ReadonlySet<string>): void {
  const used = new Set(samples.map((s) => s.label));
  const empty = classes.filter((_, i) => !used.has(i));
  if (empty.length === 0) return;
  const names = empty.slice(0, 5).map((c) => show(c)).join(', ') + (empty.length > 5 ? `, … (${empty.length} in all)` : '');
  throw new InputError(
    `class folder${empty.length > 1 ? 's' : ''} ${names} ha${empty.length > 1 ? 've' : 's'} no images with extensions ${[...extensions].join(' ')}`
      + ` (an empty class would still take a label; remove it or use ${hint(Setting.AllowEmptyClasses, true)})`,
    { file: root },
  );
}

/** Folder names of dataset splits: a root whose class folders are all splits is one level too high. */
export const SPLIT_NAMES: ReadonlySet<string> = new Set(['train', 'val', 'valid', 'validation', 'test']);

/** Whether `dir` holds a sub-directory (a class folder, when dir is a split). */
async function hasSubdirectory(dir: string): Promise<boolean> {
  for (const e of (await listDir(dir)).filter((d) => !d.name.startsWith('.'))) if ((await entryKind(dir, e)) === 'dir') return true;
  return false;
}

/**
 * `root/train/<class>/…` and `root/val/<class>/…` read as an imagefolder would make two classes
 * named train and val: refused (every class folder a split name, each holding folders of its own)
 * unless the source sets allowSplitDirectories.
 */
async function checkNotSplitParent(root: string, classes: readonly string[]): Promise<void> {
  if (!classes.every((c) => SPLIT_NAMES.has(c.toLowerCase()))) return;
  for (const c of classes) if (!(await hasSubdirectory(join(root, c)))) return;
  const names = classes.join(', ');
  const split = classes.find((c) => c.toLowerCase() === 'train') ?? classes[0];
  throw new InputError(
    `looks like a directory of dataset splits (${names}, each holding class folders), not of classes: `
      + `use ${hint(Setting.Root, join(root, split))} for one split, or ${hint(Setting.AllowSplitDirectories, true)} to take ${names} as the classes`,
    { file: root },
  );
}

export async function openImageFolder(config: ImageFolderSourceConfig): Promise<FileListSource> {
  const root = config.root;
  const maxFileBytes = resolveMaxFileBytes(config.maxFileBytes, root);
  const extensions = new Set((config.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase()));
  const top = (await listDir(root)).filter((e) => !e.name.startsWith('.'));
  const classes: string[] = [];
  for (const e of top) if ((await entryKind(root, e)) === 'dir') classes.push(e.name);
  classes.sort(compareIds);
  if (classes.length === 0) throw new InputError('no class sub-directories (expected root/<class>/<image>)', { file: root });
  if (!config.allowSplitDirectories) await checkNotSplitParent(root, classes);
  const walker = new Walker(extensions);
  for (let label = 0; label < classes.length; label++) {
    await walker.walk(join(root, classes[label]), classes[label], label);
  }
  const samples = walker.found.sort((a, b) => compareIds(a.id, b.id));
  if (samples.length === 0) throw new InputError(`no images with extensions ${[...extensions].join(' ')}`, { file: root });
  if (!config.allowEmptyClasses) checkNoEmptyClass(root, classes, samples, extensions);
  return FileListSource.create('imagefolder', classes, samples, maxFileBytes);
}
