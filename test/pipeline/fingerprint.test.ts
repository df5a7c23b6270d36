/**
 * Stage fingerprints (src/pipeline/fingerprint.ts) cover what determines a stage's outputs and
 * nothing else: the same pipeline read from another checkout whose data is the same files (a
 * symlinked `.cache`, as in a worktree) reuses every finished stage; a stage depends on the stages
 * it reads, not on every earlier one; a stage that runs again says which inputs changed; records
 * written before fingerprint schema 2 are still reused (and rewritten), and their partial outputs
 * resumed, not discarded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadPipeline } from '../../src/pipeline/load.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { createContext } from '../../src/pipeline/context.js';
import { changedInputs, FINGERPRINT_SCHEMA, stageKey } from '../../src/pipeline/fingerprint.js';
import { stageDescriptors, type StageDescriptor, type StageRegistry } from '../../src/pipeline/stages/index.js';
import type { LoadedPipeline, Stage } from '../../src/pipeline/types.js';
import { REPO } from '../scaleout/cluster.js';
import { tempDir } from '../scaleout/helpers.js';

const MINI = join(REPO, 'data', 'fashion-mnist-mini');

/** A stage of a kind the schema does not know: `after` names the stages it reads. */
interface FakeStage {
  kind: string;
  name: string;
  value: number;
  after?: string[];
}

/** Non-partitioned stages of kind `fake` writing `fake/<stage>/out.txt`; counts their runs. */
function fakeKind(): StageDescriptor<Stage> & { runs: string[] } {
  const runs: string[] = [];
  const file = (stage: Stage): string => join('fake', stage.name, 'out.txt');
  return {
    kind: 'fake' as Stage['kind'],
    partitioned: false,
    runs,
    outputs: (_ctx, stage) => [{ kind: 'file', path: file(stage) }],
    dependsOn: (stage) => (stage as unknown as FakeStage).after ?? [],
    home: (_ctx, stage) => join('fake', stage.name),
    async run(ctx, stage) {
      runs.push(stage.name);
      const path = join(ctx.out, file(stage));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, 'x');
      return { value: (stage as unknown as FakeStage).value };
    },
  };
}

function fakePipeline(stages: FakeStage[]): LoadedPipeline {
  return {
    file: '/p/p.json',
    dir: '/p',
    pipeline: { name: 'fake', sources: {}, patchify: { imageSize: 8, patchSize: 4, channels: 1 }, stages: stages as unknown as Stage[] },
  };
}

async function run(loaded: LoadedPipeline, out: string, registry: StageRegistry): Promise<{ statuses: string[]; log: string }> {
  const logs: string[] = [];
  const records = await runPipeline(loaded, { out, quiet: true, registry, log: (m) => logs.push(m) });
  return { statuses: records.map((r) => `${r.name}:${r.status}`), log: logs.join('\n') };
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);
const marker = async (out: string, name: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(join(out, '.dlth', 'stages', name), 'utf8')) as Record<string, unknown>;

test('fingerprint: the same pipeline read from another checkout whose data is the same files reuses every stage', { timeout: 120_000 }, async () => {
  // /work/main/pipelines/p.json and /tmp/exp/pipelines/p.json with "../.cache/soup", /tmp/exp/.cache
  // a symlink to /work/main/.cache: schema 1 hashed the two resolved paths, so a run of the second
  // re-ran the first's finished stages and discarded everything that read them.
  const root = await tempDir('fp-checkouts');
  const out = join(root, 'run');
  const text = JSON.stringify({
    name: 'checkouts', description: 'one', seed: 0, shardBytes: 65536,
    sources: { train: { kind: 'idx', dir: '../.cache/mini', split: 'train', limit: 100 } },
    patchify: { imageSize: 28, patchSize: 4, channels: 1, resize: 'none' },
    stages: [{ kind: 'materialize', name: 'full', policy: 'full', sources: ['train'] }],
  });
  for (const checkout of ['main', 'exp']) await mkdir(join(root, checkout, 'pipelines'), { recursive: true });
  await mkdir(join(root, 'main', '.cache'));
  await symlink(MINI, join(root, 'main', '.cache', 'mini'));
  await symlink(join(root, 'main', '.cache'), join(root, 'exp', '.cache'));
  await writeFile(join(root, 'main', 'pipelines', 'p.json'), text);
  // Another description: not an input of any stage.
  await writeFile(join(root, 'exp', 'pipelines', 'p.json'), text.replace('"one"', '"two"'));
  const fake = fakeKind();
  const registry = { ...stageDescriptors, fake } as StageRegistry;
  const load = async (checkout: string): Promise<LoadedPipeline> => {
    const loaded = await loadPipeline(join(root, checkout, 'pipelines', 'p.json'));
    const selector: FakeStage = { kind: 'fake', name: 'selector', value: 1, after: ['full'] };
    return { ...loaded, pipeline: { ...loaded.pipeline, stages: [...loaded.pipeline.stages, selector as unknown as Stage] } };
  };
  const main = await load('main');
  const exp = await load('exp');
  assert.notEqual(main.pipeline.sources.train, exp.pipeline.sources.train, 'resolved against each checkout');

  assert.deepEqual((await run(main, out, registry)).statuses, ['full:ran', 'selector:ran']);
  const again = await run(exp, out, registry);
  assert.deepEqual(again.statuses, ['full:reused', 'selector:reused']);
  assert.doesNotMatch(again.log, /configuration changed/);
  assert.deepEqual(fake.runs, ['selector']);
  const full = await marker(out, 'full.json');
  assert.equal(full.fingerprintSchema, FINGERPRINT_SCHEMA);
  assert.deepEqual((full.inputs as { sources: unknown }).sources, { train: { kind: 'idx', dir: MINI, split: 'train', limit: 100 } }, 'the data\'s real location');
  await rm(root, { recursive: true, force: true });
});

test('fingerprint: a stage depends on the stages it reads, not on every earlier one', async () => {
  const out = join(await tempDir('fp-upstream'), 'run');
  const fake = fakeKind();
  const stages = (b: number): FakeStage[] => [
    { kind: 'fake', name: 'a', value: 1 },
    { kind: 'fake', name: 'b', value: b },
    { kind: 'fake', name: 'c', value: 1, after: ['a'] },
  ];
  assert.deepEqual((await run(fakePipeline(stages(1)), out, { fake })).statuses, ['a:ran', 'b:ran', 'c:ran']);
  assert.deepEqual((await run(fakePipeline(stages(2)), out, { fake })).statuses, ['a:reused', 'b:ran', 'c:reused']);
  assert.deepEqual(((await marker(out, 'c.json')).inputs as { upstream: unknown }).upstream, { a: (await marker(out, 'a.json')).fingerprint });
});

test('fingerprint: a stage that runs again from other inputs says which changed', async () => {
  const out = join(await tempDir('fp-changed'), 'run');
  const fake = fakeKind();
  const stages = (value: number): FakeStage[] => [{ kind: 'fake', name: 'a', value }, { kind: 'fake', name: 'b', value: 1, after: ['a'] }];
  await run(fakePipeline(stages(1)), out, { fake });
  const a1 = (await marker(out, 'a.json')).fingerprint as string;
  const changed = await run(fakePipeline(stages(2)), out, { fake });
  assert.deepEqual(changed.statuses, ['a:ran', 'b:ran']);
  assert.match(changed.log, /\[a\] configuration changed since the last attempt: discarded its previous outputs; changed: stage\.value: 1 → 2$/m);
  const a2 = (await marker(out, 'a.json')).fingerprint as string;
  assert.ok(changed.log.includes(`[b] configuration changed since the last attempt: discarded its previous outputs; changed: upstream.a: "${a1}" → "${a2}"`), changed.log);
});

test('fingerprint: changedInputs names each differing leaf by its path', () => {
  assert.deepEqual(changedInputs({ a: { b: [1, 2], c: 'x' }, d: 1 }, { a: { b: [1, 3, 4], c: 'x' }, e: {} }), [
    'a.b[1]: 2 → 3',
    'a.b[2]: (none) → 4',
    'd: 1 → (none)',
    'e: (none) → {}',
  ]);
  assert.deepEqual(changedInputs({ s: 'y'.repeat(200) }, { s: 'z' }), [`s: "${'y'.repeat(78)}… → "z"`], 'long values cut to 80 characters');
});

/** The markers dlth wrote at commit c807377 (fingerprint schema 1) for fakePipeline(SCHEMA_1_STAGES), outputs present. */
const SCHEMA_1_STAGES: FakeStage[] = [{ kind: 'fake', name: 'a', value: 1 }, { kind: 'fake', name: 'b', value: 1, after: ['a'] }];
const SCHEMA_1 = { a: 'sha256:50ac911b28623c3e', b: 'sha256:d7691d62ef9a6fdc' };

async function writeSchema1Run(out: string, markers: boolean): Promise<void> {
  await mkdir(join(out, '.dlth', 'stages'), { recursive: true });
  for (const [name, fingerprint] of Object.entries(SCHEMA_1)) {
    await mkdir(join(out, 'fake', name), { recursive: true });
    await writeFile(join(out, 'fake', name, 'out.txt'), 'x');
    await writeFile(join(out, '.dlth', 'stages', `${name}.started.json`), `${JSON.stringify({ name, fingerprint })}\n`);
    const record = { name, kind: 'fake', fingerprint, outputs: [`fake/${name}/out.txt`], summary: { value: 1 } };
    if (markers) await writeFile(join(out, '.dlth', 'stages', `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }
}

test('fingerprint: stages finished under schema 1 are reused and their records rewritten with schema 2', async () => {
  const out = join(await tempDir('fp-schema1'), 'run');
  await writeSchema1Run(out, true);
  const fake = fakeKind();
  const reused = await run(fakePipeline(SCHEMA_1_STAGES), out, { fake });
  assert.deepEqual(reused.statuses, ['a:reused', 'b:reused']);
  assert.match(reused.log, /\[a\] fake: up to date \(sha256:50ac911b28623c3e, recorded by an earlier dlth; now sha256:\w{16}\), reusing/);
  assert.deepEqual(fake.runs, []);
  const a = await marker(out, 'a.json');
  assert.equal(a.fingerprintSchema, FINGERPRINT_SCHEMA);
  assert.deepEqual(a.summary, { value: 1 });
  const b = await marker(out, 'b.json');
  assert.deepEqual((b.inputs as { upstream: unknown }).upstream, { a: a.fingerprint });
  const next = await run(fakePipeline(SCHEMA_1_STAGES), out, { fake });
  assert.deepEqual(next.statuses, ['a:reused', 'b:reused']);
  assert.match(next.log, /\[b\] fake: up to date \(sha256:\w{16}\), reusing/);
  // A schema-1 record of another configuration still reruns, saying it cannot tell what changed.
  const other = join(await tempDir('fp-schema1-other'), 'run');
  await writeSchema1Run(other, true);
  const changed = await run(fakePipeline([{ ...SCHEMA_1_STAGES[0], value: 2 } as FakeStage, SCHEMA_1_STAGES[1] as FakeStage]), other, { fake });
  assert.deepEqual(changed.statuses, ['a:ran', 'b:ran']);
  assert.match(changed.log, /\[a\] configuration changed since the last attempt: discarded its previous outputs; changed: sha256:50ac911b28623c3e → sha256:\w{16}; the earlier record \(by an older dlth\) does not say what it was made from/);
});

test('fingerprint: an attempt started under schema 1 is resumed, not discarded', async () => {
  const out = join(await tempDir('fp-schema1-started'), 'run');
  await writeSchema1Run(out, false);
  await writeFile(join(out, 'fake', 'a', 'partial'), 'kept');
  const fake = fakeKind();
  const resumed = await run(fakePipeline(SCHEMA_1_STAGES), out, { fake });
  assert.deepEqual(resumed.statuses, ['a:ran', 'b:ran']);
  assert.doesNotMatch(resumed.log, /configuration changed/);
  assert.equal(await exists(join(out, 'fake', 'a', 'partial')), true);
  assert.equal((await marker(out, 'a.started.json')).fingerprintSchema, FINGERPRINT_SCHEMA);
});

test('fingerprint: the schema-2 record of a fixed stage is frozen (a change reruns every finished stage everywhere)', () => {
  const loaded = fakePipeline(SCHEMA_1_STAGES);
  const ctx = createContext(loaded, { out: '/run', worker: null, quiet: true, log: () => {} });
  const fake = fakeKind();
  const fps = new Map<string, string>();
  const legacy = new Map<string, string>();
  const [a, b] = loaded.pipeline.stages.map((s) => stageKey(ctx, fake, s, fps, legacy));
  // Bump FINGERPRINT_SCHEMA with any change to the record, and say so where it lands.
  assert.deepEqual([a?.fingerprint, b?.fingerprint], ['sha256:8d7c83efefddc8ac', 'sha256:2488fadc53f4cc61']);
  assert.deepEqual([a?.legacy, b?.legacy], [SCHEMA_1.a, SCHEMA_1.b], 'schema 1 as dlth computed it at c807377');
  assert.deepEqual(Object.keys(a?.inputs ?? {}), ['patchify', 'reads', 'schema', 'seed', 'sources', 'stage', 'upstream']);
});
