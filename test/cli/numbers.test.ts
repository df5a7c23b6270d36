/**
 * One parser for numeric flags: the four copies disagreed (source-flags took an empty string as 0,
 * stream and preview took only digits, train and make-cluttered any finite number).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionalNumber, parseNumber, parseNumbers } from '../../src/cli/numbers.js';
import { sourceConfig } from '../../src/cli/source-flags.js';
import { InputError } from '../../src/util/errors.js';

test('numeric flags: empty text is refused everywhere, never read as 0', () => {
  for (const text of ['', ' ', 'abc', 'NaN', 'Infinity']) {
    assert.throws(() => parseNumber('limit', text), (e: Error) => e instanceof InputError && e.message.startsWith('--limit is '));
    assert.throws(() => sourceConfig({ source: 'idx', root: 'data/fashion-mnist-mini', limit: text }), InputError, 'source flags parse through the same parser');
  }
  assert.equal(optionalNumber('limit', undefined), undefined);
  assert.equal(parseNumber('lr', ' 1e-3 '), 0.001);
});

test('integers are decimal digits within their bounds, named in the message', () => {
  assert.equal(parseNumber('batch', '64', { integer: true, min: 1 }), 64);
  assert.throws(() => parseNumber('batch', '1e3', { integer: true }), /--batch is "1e3", expected an integer/);
  assert.throws(() => parseNumber('batch', '2.5', { integer: true }), /expected an integer/);
  assert.throws(() => parseNumber('batch', '0', { integer: true, min: 1 }), /expected an integer ≥ 1/);
  assert.throws(() => parseNumber('rank', '9', { integer: true, min: 0, max: 3 }), /expected an integer in \[0, 3\]/);
  assert.equal(parseNumber('offset', '-2', { integer: true }), -2);
  assert.deepEqual(parseNumbers('mean', '0.5, 0.25,1'), [0.5, 0.25, 1]);
  assert.throws(() => parseNumbers('mean', '0.5,,1'), /--mean is "", expected a number/);
});
