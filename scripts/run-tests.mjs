#!/usr/bin/env node
// Runs every test/**/*.test.ts file with Node's test runner through tsx, then the Python
// package's pytest suite (python/tests) with the project venv (.venv, scripts/setup-python.sh).
// Exits non-zero when either fails; pytest finding no tests (its exit 5) is a failure too.
// Usage: node scripts/run-tests.mjs [substring …]  (only test files whose path contains a substring)
// DLTH_SKIP_PYTHON=1 skips the pytest suite (it is a failure when .venv is missing otherwise).
// Test files run DLTH_TEST_CONCURRENCY at a time (default: the machine's cores; Node's own default
// is one fewer, which on 2 cores is one file at a time while most files wait on child processes,
// files and pipes rather than on a core).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

function walk(dir, match) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && name !== 'support' && name !== '__pycache__') out.push(...walk(p, match));
    } else if (match(name)) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const selected = (f) => filters.length === 0 || filters.some((s) => f.includes(s));
const nodeFiles = walk('test', (n) => n.endsWith('.test.ts')).filter(selected);
const pyFiles = walk(join('python', 'tests'), (n) => n.startsWith('test_') && n.endsWith('.py')).filter(selected);
if (nodeFiles.length === 0 && pyFiles.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

function runNode() {
  if (nodeFiles.length === 0) return 0;
  const concurrency = Number(process.env.DLTH_TEST_CONCURRENCY ?? availableParallelism());
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    console.error(`run-tests: DLTH_TEST_CONCURRENCY is ${JSON.stringify(process.env.DLTH_TEST_CONCURRENCY)}, expected a positive integer`);
    return 1;
  }
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...nodeFiles], { stdio: 'inherit' });
  return res.status ?? 1;
}

function runPytest() {
  if (pyFiles.length === 0) return 0;
  if (process.env.DLTH_SKIP_PYTHON === '1') {
    console.error('run-tests: DLTH_SKIP_PYTHON=1: the pytest suite (python/tests) is skipped');
    return 0;
  }
  const python = join('.venv', 'bin', 'python');
  if (!existsSync(python)) {
    console.error(`run-tests: ${python} is missing: run scripts/setup-python.sh (or set DLTH_SKIP_PYTHON=1 to skip python/tests)`);
    return 1;
  }
  console.log(`\nrun-tests: pytest ${pyFiles.length === walk(join('python', 'tests'), (n) => n.startsWith('test_') && n.endsWith('.py')).length ? 'python/tests' : pyFiles.join(' ')}`);
  const res = spawnSync(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...pyFiles], { stdio: 'inherit', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', NODE: process.execPath } });
  if (res.status === 5) console.error('run-tests: pytest collected no tests: a failure');
  return res.status ?? 1;
}

const nodeStatus = runNode();
const pyStatus = runPytest();
if (nodeStatus !== 0 || pyStatus !== 0) console.error(`run-tests: node tests exit ${nodeStatus}, pytest exit ${pyStatus}`);
process.exit(nodeStatus !== 0 ? nodeStatus : pyStatus === 0 ? 0 : 1);
