/**
 * Scripts the documentation names as commands run as commands: every file under scripts/ that
 * starts with a shebang is executable in git's index (what a clone gets) and on disk, and every
 * `scripts/….sh` the README, docs/ or deploy/ name exists and starts with a shebang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './run-cli.js';

function walk(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === '__pycache__' ? [] : walk(rel, keep);
    return e.isFile() && keep(e.name) ? [rel] : [];
  });
}

function hasShebang(rel: string): boolean {
  const fd = openSync(join(ROOT, rel), 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!';
  } finally {
    closeSync(fd);
  }
}

/** path → mode ("100755", "100644") of every file git tracks under scripts/. */
function indexModes(): Map<string, string> {
  const out = execFileSync('git', ['ls-files', '-s', '--', 'scripts'], { cwd: ROOT, encoding: 'utf8' });
  return new Map(out.split('\n').filter(Boolean).map((line) => {
    const [meta, path] = line.split('\t');
    return [path, meta.split(' ')[0]];
  }));
}

test('every file under scripts/ with a shebang is executable in git\'s index and on disk', () => {
  const modes = indexModes();
  const scripts = [...modes.keys()].filter((p) => existsSync(join(ROOT, p)) && hasShebang(p));
  assert.ok(scripts.includes('scripts/gpu-check.sh') && scripts.length > 5, `found ${scripts.join(', ')}`);
  assert.deepEqual(scripts.filter((p) => modes.get(p) !== '100755'), [], 'not executable in the index (git update-index --chmod=+x)');
  assert.deepEqual(scripts.filter((p) => (statSync(join(ROOT, p)).mode & 0o111) === 0), [], 'not executable on disk (chmod +x)');
});

test('every scripts/….sh the README, docs/ and deploy/ name exists and starts with a shebang', () => {
  const docs = ['README.md', ...walk('docs', (n) => n.endsWith('.md')), ...walk('deploy', (n) => n.endsWith('.md'))];
  const named = new Set<string>();
  for (const doc of docs) for (const m of readFileSync(join(ROOT, doc), 'utf8').matchAll(/\bscripts\/[\w./-]+\.sh\b/g)) named.add(m[0]);
  assert.ok(named.has('scripts/gpu-check.sh'), [...named].join(', '));
  for (const script of named) {
    assert.ok(existsSync(join(ROOT, script)), `${script} is named in the docs but does not exist`);
    assert.ok(hasShebang(script), `${script} has no shebang line`);
  }
  for (const script of walk('scripts', (n) => n.endsWith('.sh'))) assert.ok(hasShebang(script), `${script} has no shebang line`);
});
