import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, fingerprint } from '../../src/util/hash.js';

test('canonicalJson sorts keys recursively and drops undefined', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: undefined } }), '{"a":{"d":[2,{"y":0,"z":1}]},"b":1}');
});

test('fingerprint is stable across key order and changes with content', () => {
  assert.equal(fingerprint({ a: 1, b: 2 }), fingerprint({ b: 2, a: 1 }));
  assert.notEqual(fingerprint({ a: 1 }), fingerprint({ a: 2 }));
  assert.match(fingerprint(null), /^sha256:[0-9a-f]{16}$/);
});

test('canonical JSON keeps a "__proto__" key (a manifest from JSON.parse can carry one): it changes the fingerprint', () => {
  const plain = JSON.parse('{"a":1}') as unknown;
  const withProto = JSON.parse('{"a":1,"__proto__":{"x":2}}') as unknown;
  assert.equal(canonicalJson(withProto), '{"__proto__":{"x":2},"a":1}');
  assert.notEqual(canonicalJson(withProto), canonicalJson(plain));
});
