#!/usr/bin/env node
// Thin launcher: runs the compiled CLI (dist/, made by `npm run build`, which `npm run setup` runs)
// when it is there and newer than every source file; else the TypeScript source through tsx, which
// compiles at every start (seconds instead of a fraction of one). DLTH_SOURCE=1 forces the source.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

// Images are decoded on libuv's thread pool (sharp), 4 threads by default: size it to the machine
// before anything uses it, so a 16-core GPU host decodes on 16 (an explicit setting wins).
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.min(128, Math.max(4, availableParallelism())));

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');

/** Newest modification time (ms) of the .ts files under `dir`. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function compiledIsFresh() {
  if (process.env.DLTH_SOURCE === '1' || !existsSync(compiled)) return false;
  try {
    return statSync(compiled).mtimeMs >= newestSource(join(root, 'src'));
  } catch {
    return false;
  }
}

if (compiledIsFresh()) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
