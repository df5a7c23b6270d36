#!/usr/bin/env node
// Splits a pipeline's stages, in file order, into phases: a run of offline stages (score,
// materialize: a job array, then merge) followed by a run of the other stages (train, report: one
// job). A train stage that feeds a later score stage (the selector) therefore ends a phase.
// Prints one line per phase: `<offline stages>|<other stages>` (comma-separated, either may be empty).
import { readFileSync } from 'node:fs';

const OFFLINE = new Set(['score', 'materialize']);
const file = process.argv[2];
if (!file) {
  console.error('usage: phases.mjs <pipeline.json>');
  process.exit(2);
}
const stages = JSON.parse(readFileSync(file, 'utf8')).stages ?? [];
const phases = [];
for (const s of stages) {
  const offline = OFFLINE.has(s.kind);
  let last = phases.at(-1);
  if (!last || (offline && last.serial.length > 0)) phases.push((last = { offline: [], serial: [] }));
  (offline ? last.offline : last.serial).push(s.name);
}
for (const p of phases) console.log(`${p.offline.join(',')}|${p.serial.join(',')}`);
