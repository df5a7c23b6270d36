/**
 * The import graph of src/: no cycles (each module's imports, static `import`/`export … from` and
 * dynamic `import('…')`, resolved to files), and the layering of docs/architecture.md (its import
 * rules): the shard code knows nothing of models, the loader needs only the shard reader, only
 * src/cli imports src/cli.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : n.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Module (relative to src/) → the src modules it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of walk(SRC)) {
    const deps: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2]) as string;
      deps.push(relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
    }
    graph.set(relative(SRC, file), deps);
  }
  return graph;
}

/** Strongly connected components of more than one module (or a module importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      for (let w = stack.pop(); ; w = stack.pop()) {
        on.delete(w as string);
        scc.push(w as string);
        if (w === v) break;
      }
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('imports: every relative import resolves to a file under src/', () => {
  for (const [from, deps] of importGraph()) for (const d of deps) assert.ok(!d.startsWith('..'), `${from} imports outside src/: ${d}`);
});

test('imports: no cycles anywhere in src/', () => {
  assert.deepEqual(cycles(importGraph()), []);
});

test('imports: layering (shards know no models or stages; the loader only the shard reader; only the CLI imports the CLI)', () => {
  const rules: [RegExp, RegExp, string][] = [
    [/^shards\//, /^(model|scoring|tickets|engine|pipeline|trainer|loader|cli|backend)\//, 'the shard code knows nothing of models or stages'],
    [/^loader\//, /^(model|scoring|tickets|engine|pipeline|trainer|cli|patchify)\//, 'the loader needs only the shard reader'],
    [/^(?!cli\/)/, /^cli\//, 'only the CLI imports the CLI'],
    [/^(engine|scoring|tickets|shards|sources|patchify|model)\//, /^pipeline\//, 'stages do not import the pipeline'],
  ];
  const bad: string[] = [];
  for (const [from, deps] of importGraph()) {
    for (const [src, dst, why] of rules) for (const d of deps) if (src.test(from) && dst.test(d)) bad.push(`${from} → ${d} (${why})`);
  }
  assert.deepEqual(bad, []);
});

test('imports: no barrels: an index.ts under src/ holds code (a registry), not only re-exports; src/index.ts is the package API', () => {
  const barrels: string[] = [];
  for (const file of walk(SRC)) {
    const rel = relative(SRC, file);
    if (!rel.endsWith('index.ts') || rel === 'index.ts') continue;
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '')
      .replace(/export\s+(type\s+)?(\*|\{[^}]*\})\s*from\s*['"][^'"]+['"];?/g, '')
      .replace(/import[^;]+;/g, '')
      .trim();
    if (code === '') barrels.push(rel);
  }
  assert.deepEqual(barrels, [], 'cross-folder imports name the defining module (docs/architecture.md)');
});
