import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSource } from '../../src/sources/open.js';
import { ImageError, InputError } from '../../src/util/errors.js';
import { encodePhoto } from '../patchify/images.js';
import { withDir } from './helpers.js';

const lines = (...objs: unknown[]): string => `${objs.map((o) => JSON.stringify(o)).join('\n')}\n`;

test('jsonl: relative paths resolve against the file, string labels map to sorted names, ids sorted', withDir('dlth-jsonl-', async (dir) => {
  mkdirSync(join(dir, 'meta'));
  mkdirSync(join(dir, 'img'));
  writeFileSync(join(dir, 'img', 'b.png'), await encodePhoto('png', 16, 16));
  writeFileSync(join(dir, 'img', 'a.jpg'), await encodePhoto('jpeg', 16, 16));
  const file = join(dir, 'meta', 'list.jsonl');
  writeFileSync(file, `${lines({ path: '../img/b.png', label: 'zebra' }, { path: '../img/a.jpg', label: 'ant' })}\n\n`);
  const src = await openSource({ kind: 'jsonl', file });
  assert.deepEqual(src.classes, ['ant', 'zebra']);
  assert.deepEqual([src.ref(0), src.ref(1)], [
    { id: '../img/a.jpg', label: 0, location: join(dir, 'img', 'a.jpg') },
    { id: '../img/b.png', label: 1, location: join(dir, 'img', 'b.png') },
  ]);
  const p = await src.load(1);
  assert.ok(p.kind === 'encoded' && p.bytes.length > 0);

  const given = await openSource({ kind: 'jsonl', file, classes: ['zebra', 'ant', 'other'] });
  assert.deepEqual([given.ref(0).label, given.ref(1).label, given.classes], [1, 0, ['zebra', 'ant', 'other']]);
  const ints = join(dir, 'ints.jsonl');
  writeFileSync(ints, lines({ path: 'img/a.jpg', label: 3 }, { path: 'img/missing.png', label: 0 }));
  const intSrc = await openSource({ kind: 'jsonl', file: ints });
  assert.deepEqual([intSrc.classes, intSrc.ref(0).label], [null, 3]);
  assert.notEqual(intSrc.fingerprint, src.fingerprint);
  await assert.rejects(intSrc.load(1), (e: unknown) => e instanceof ImageError && /file not found \(ENOENT\)/.test(e.message));
}));

test('jsonl: malformed lines are InputErrors naming file:line', withDir('dlth-jsonl-', async (dir) => {
  const cases: [string, RegExp][] = [
    ['{"path": "a.png", "label": 1}\n{"path": "b.png", "label": 1\n', /:2: invalid JSON/],
    ['[1, 2]\n', /:1: expected an object/],
    ['{"label": 1}\n', /:1: "path" must be a non-empty string/],
    ['\n{"path": "a.png"}\n', /:2: missing "label"/],
    ['{"path": "a.png", "label": -1}\n', /:1: "label" must be a non-negative integer/],
    ['{"path": "a.png", "label": 1}\n{"path": "b.png", "label": "x"}\n', /:2: label "x" mixes/],
    ['{"path": "a.png", "label": 1}\n{"path": "./a.png", "label": 2}\n', /:2: duplicate path "a.png" \(also on line 1\)/],
    ['\n\n', /no samples/],
  ];
  for (const [i, [text, re]] of cases.entries()) {
    const file = join(dir, `bad${i}.jsonl`);
    writeFileSync(file, text);
    await assert.rejects(openSource({ kind: 'jsonl', file }), (e: unknown) => e instanceof InputError && e.message.includes(file) && re.test(e.message));
  }
  const file = join(dir, 'cls.jsonl');
  writeFileSync(file, lines({ path: 'a.png', label: 'dog' }));
  await assert.rejects(openSource({ kind: 'jsonl', file, classes: ['cat'] }), /:1: label "dog" is not one of the 1 classes/);
  await assert.rejects(openSource({ kind: 'jsonl', file: join(dir, 'none.jsonl') }), /cannot read jsonl file \(ENOENT\)/);
}));
