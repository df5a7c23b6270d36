/**
 * Stages describe themselves (src/pipeline/stages/): every stage kind of the pipeline schema has a
 * descriptor, and the runner knows stages only through one. Run with a registry holding a kind it
 * has never heard of, it orders, reuses, reruns, discards and skips (worker mode) that kind's
 * stages by what the descriptor says: whether it is partitioned and the kind of each output
 * (a dataset is checked by its manifest whatever its name; a file or directory must exist).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runPipeline } from '../../src/pipeline/runner.js';
import { stageDescriptors, type StageDescriptor, type StageOutput, type StageRegistry } from '../../src/pipeline/stages/index.js';
import type { LoadedPipeline, Stage } from '../../src/pipeline/types.js';
import type { StageContext } from '../../src/pipeline/context.js';
import { InputError } from '../../src/util/errors.js';
import { schemaPath } from '../../src/util/schemas.js';
import { tempDir } from '../scaleout/helpers.js';

interface Schema {
  $defs: { stage: { properties: { kind: { enum: string[] } } } };
}

test('descriptors: every stage kind of the pipeline schema has one, under its own kind', () => {
  const schema = JSON.parse(readFileSync(schemaPath('pipeline.schema.json'), 'utf8')) as Schema;
  const kinds = schema.$defs.stage.properties.kind.enum;
  assert.deepEqual(Object.keys(stageDescriptors).sort(), [...kinds].sort());
  for (const [kind, d] of Object.entries(stageDescriptors)) assert.equal(d.kind, kind);
});

test('descriptors: the runner names no stage kind, switches on nothing and tests no suffix', () => {
  const source = readFileSync(new URL('../../src/pipeline/runner.ts', import.meta.url), 'utf8');
  for (const kind of Object.keys(stageDescriptors)) assert.doesNotMatch(source, new RegExp(`['"\`]${kind}['"\`]`), kind);
  assert.doesNotMatch(source, /\bswitch\s*\(|\bcase\s+['"]/);
  assert.doesNotMatch(source, /endsWith\(|\.png/);
});

/** A stage of a kind the pipeline schema does not know. */
interface FakeStage {
  kind: string;
  name: string;
  value: number;
  /** Stages it reads. */
  after?: string[];
}

/** A descriptor of kind `kind` whose stages write the given outputs (under `fake/<stage>/`); counts its runs. */
function fakeKind(kind: string, partitioned: boolean, outputs: readonly StageOutput[]): StageDescriptor<Stage> & { runs: string[] } {
  const runs: string[] = [];
  const of = (stage: Stage): StageOutput[] => outputs.map((o) => ({ kind: o.kind, path: join('fake', stage.name, o.path) }));
  return {
    kind: kind as Stage['kind'],
    partitioned,
    runs,
    outputs: (_ctx, stage) => of(stage),
    dependsOn: (stage) => (stage as unknown as FakeStage).after ?? [],
    home: (_ctx, stage) => join('fake', stage.name),
    async run(ctx, stage) {
      runs.push(stage.name);
      for (const o of of(stage)) {
        const path = join(ctx.out, o.path);
        if (o.kind === 'file') await mkdir(dirname(path), { recursive: true }).then(() => writeFile(path, 'x'));
        else await mkdir(path, { recursive: true });
      }
      return { value: (stage as unknown as FakeStage).value };
    },
  };
}

function pipeline(dir: string, stages: FakeStage[]): LoadedPipeline {
  return {
    file: join(dir, 'p.json'),
    dir,
    pipeline: { name: 'fake', sources: {}, patchify: { imageSize: 8, patchSize: 4, channels: 1 }, stages: stages as unknown as Stage[] },
  };
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

async function run(loaded: LoadedPipeline, out: string, registry: StageRegistry, extra: { worker?: { index: number; count: number } } = {}): Promise<{ statuses: string[]; log: string }> {
  const logs: string[] = [];
  const records = await runPipeline(loaded, { out, quiet: true, registry, log: (m) => logs.push(m), ...extra });
  return { statuses: records.map((r) => `${r.name}:${r.status}`), log: logs.join('\n') };
}

test('runner: a stage of an unknown kind runs, is recorded, reused, rerun and discarded through its descriptor', async () => {
  const dir = await tempDir('descriptor');
  const out = join(dir, 'run');
  const fake = fakeKind('fake', false, [{ kind: 'file', path: 'out.txt' }, { kind: 'directory', path: 'models' }]);
  const registry = { fake };
  const loaded = pipeline(dir, [{ kind: 'fake', name: 'a', value: 1 }]);

  assert.deepEqual((await run(loaded, out, registry)).statuses, ['a:ran']);
  const marker = JSON.parse(await readFile(join(out, '.dlth', 'stages', 'a.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(marker.outputs, ['fake/a/out.txt', 'fake/a/models']);
  assert.equal(marker.kind, 'fake');
  assert.deepEqual(marker.summary, { value: 1 });

  assert.deepEqual((await run(loaded, out, registry)).statuses, ['a:reused']);
  await rm(join(out, 'fake', 'a', 'models'), { recursive: true });
  const rerun = await run(loaded, out, registry);
  assert.deepEqual(rerun.statuses, ['a:ran']);
  assert.match(rerun.log, /\[a\] fake: finished before, but fake\/a\/models is missing: running it again/);

  // Another configuration: a stage that is not partitioned loses its whole home before it runs again.
  await writeFile(join(out, 'fake', 'a', 'stale'), 'old');
  const changed = await run(pipeline(dir, [{ kind: 'fake', name: 'a', value: 2 }]), out, registry);
  assert.deepEqual(changed.statuses, ['a:ran']);
  assert.match(changed.log, /\[a\] configuration changed since the last attempt: discarded its previous outputs/);
  assert.equal(await exists(join(out, 'fake', 'a', 'stale')), false);
  assert.deepEqual(fake.runs, ['a', 'a', 'a']);
});

test('runner: whether an output is a dataset is the descriptor\'s word, not its name', async () => {
  const dir = await tempDir('descriptor-kinds');
  const out = join(dir, 'run');
  // A "dataset" named like a picture is checked for a manifest (the fake writes an empty directory:
  // none); a "file" only has to exist.
  const registry = {
    sheet: fakeKind('sheet', false, [{ kind: 'dataset', path: 'sheet.png' }]),
    plain: fakeKind('plain', false, [{ kind: 'file', path: 'data' }]),
  };
  const loaded = pipeline(dir, [{ kind: 'sheet', name: 's', value: 1 }, { kind: 'plain', name: 'p', value: 1 }]);
  assert.deepEqual((await run(loaded, out, registry)).statuses, ['s:ran', 'p:ran']);
  const second = await run(loaded, out, registry);
  assert.deepEqual(second.statuses, ['s:ran', 'p:reused']);
  assert.match(second.log, /\[s\] sheet: finished before, but fake\/s\/sheet\.png has no valid manifest: running it again/);
});

test('runner: a worker of a job array runs the partitioned kinds only, under its slot\'s marker and lock', async () => {
  const dir = await tempDir('descriptor-worker');
  const out = join(dir, 'run');
  const part = fakeKind('part', true, [{ kind: 'file', path: 'x' }]);
  const locked: boolean[] = [];
  const registry = {
    part: {
      ...part,
      async run(ctx: StageContext, stage: Stage) {
        locked.push(await exists(join(ctx.out, '.dlth', '.worker-1-of-3.lock')));
        return part.run(ctx, stage);
      },
    },
    after: fakeKind('after', false, [{ kind: 'file', path: 'y' }]),
  };
  const loaded = pipeline(dir, [{ kind: 'part', name: 'p', value: 1 }, { kind: 'after', name: 'q', value: 1 }]);
  const worker = await run(loaded, out, registry, { worker: { index: 1, count: 3 } });
  assert.deepEqual(worker.statuses, ['p:ran']);
  assert.match(worker.log, /\[q\] after: not run by worker 1\/3; run it after `dlth merge`/);
  assert.ok(await exists(join(out, '.dlth', 'stages', 'p.worker-1-of-3.json')));
  assert.equal(await exists(join(out, '.dlth', 'stages', 'q.worker-1-of-3.json')), false);
  assert.deepEqual(locked, [true], 'the slot holds its lock while it runs');
  assert.equal(await exists(join(out, '.dlth', '.worker-1-of-3.lock')), false, 'and releases it');
});

test('runner: a stage whose kind the registry lacks is refused, naming the stage and the kind', async () => {
  const dir = await tempDir('descriptor-unknown');
  const loaded = pipeline(dir, [{ kind: 'nope', name: 'n', value: 1 }]);
  await assert.rejects(run(loaded, join(dir, 'run'), {}), (err: unknown) => err instanceof InputError && /stage "n": unknown kind "nope"/.test(err.message));
});
