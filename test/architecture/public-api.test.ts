/** The package's public API: src/index.ts, which package.json `exports` points at once compiled. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import * as api from '../../src/index.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, string> };
const tsconfig = JSON.parse(readFileSync(new URL('../../tsconfig.json', import.meta.url), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };

test('public API: package.json exports is where tsc compiles src/index.ts', () => {
  const { outDir, rootDir } = tsconfig.compilerOptions;
  const compiled = `./${posix.join(outDir, posix.relative(rootDir, 'src/index.ts')).replace(/\.ts$/, '.js')}`;
  assert.equal(pkg.exports['.'], compiled);
});

test('public API: the stages, the shard format, the loader, the trainer, pipelines and typed errors are exported', () => {
  for (const name of ['openSource', 'patchify', 'initBackend', 'scoreSource', 'materialize', 'runSharded', 'openDataset', 'verifyDataset', 'ticketRows',
    'TicketLoader', 'train', 'loadPipeline', 'runPipeline', 'mergeRun', 'InputError', 'LockedError', 'OutputExistsError']) {
    assert.equal(typeof (api as Record<string, unknown>)[name], 'function', name);
  }
  assert.equal(api.FORMAT_VERSION, 1);
});
