/** The pipeline key `shards.compression`: validated by the schema, handed to the sharded stages' engine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createContext } from '../../src/pipeline/context.js';
import type { Pipeline } from '../../src/pipeline/types.js';
import { validatePipeline } from '../../src/pipeline/validate.js';
import { PipelineError } from '../../src/util/errors.js';

const base = (): Pipeline => JSON.parse(readFileSync('pipelines/fashion-mnist.json', 'utf8')) as Pipeline;

function engineOf(p: Pipeline): ReturnType<ReturnType<typeof createContext>['engine']> {
  const ctx = createContext({ file: 'x.json', dir: '.', pipeline: p }, { out: 'out', worker: null, quiet: true, log: () => undefined });
  return ctx.engine('out/d');
}

test('shards.compression: zstd and lz4 reach the engine, absent is none, anything else is one error naming the key', () => {
  for (const codec of ['zstd', 'lz4', 'none'] as const) {
    const p = validatePipeline({ ...base(), shards: { compression: codec } }, 'x.json');
    assert.equal(engineOf(p).compression, codec);
  }
  assert.equal(engineOf(validatePipeline(base(), 'x.json')).compression, 'none');
  for (const bad of [{ compression: 'gzip' }, { level: 3 }]) {
    assert.throws(() => validatePipeline({ ...base(), shards: bad }, 'x.json'), (err: unknown) => {
      assert.ok(err instanceof PipelineError, String(err));
      assert.match(err.message, /^x\.json: \$\.shards/);
      return true;
    });
  }
});
