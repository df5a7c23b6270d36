/**
 * A dataset location has one shown form: a URL's userinfo as `***`. Every way a location can leave
 * the process (String(), a template, JSON, util.inspect, a short name, a message) gives that form;
 * only `target` holds the credentials.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { DatasetLocation, displayLocation } from '../../src/loader/store/index.js';
import { InputError, redactCredentials } from '../../src/util/errors.js';

const SECRET = 's3cret';

test('location: every string form of a URL with credentials is the redacted one', () => {
  const loc = DatasetLocation.of(`https://user:${SECRET}@host.example/data/ds`);
  assert.equal(loc.display, 'https://***@host.example/data/ds');
  assert.equal(loc.target, `https://user:${SECRET}@host.example/data/ds`);
  for (const shown of [String(loc), `${loc}`, JSON.stringify({ train: [loc] }), inspect({ loc }), loc.name, new InputError('x', { file: loc.target }).message]) {
    assert.doesNotMatch(shown, new RegExp(SECRET), shown);
  }
  assert.equal(JSON.stringify([loc]), '["https://***@host.example/data/ds"]');
  assert.equal(loc.name, 'ds');
});

test('location: a URL without a path is named after its host, never its userinfo', () => {
  assert.equal(DatasetLocation.of(`http://user:${SECRET}@127.0.0.1:8080`).name, '127.0.0.1');
  assert.equal(DatasetLocation.of(`http://user:${SECRET}@127.0.0.1:8080/`).name, '127.0.0.1');
  assert.equal(DatasetLocation.of('http://h/a/test-set/?x=1').name, 'test-set');
});

test('location: a directory is resolved, shown as it is and named by its last component', () => {
  const loc = DatasetLocation.of('runs/ticket-test/');
  assert.equal(loc.target, resolve('runs/ticket-test/'));
  assert.equal(loc.display, resolve('runs/ticket-test/'));
  assert.equal(loc.name, 'ticket-test');
  assert.equal(DatasetLocation.of(loc), loc);
});

test('redaction: the userinfo runs to the last @ of the authority (a raw @ in the password)', () => {
  // WHATWG URL reads `user:p@ss@host` as password "p@ss": no part of it may remain.
  assert.equal(new URL('https://user:p@ss@host/x').password, 'p%40ss');
  assert.equal(displayLocation('https://user:p@ss@host/x'), 'https://***@host/x');
  assert.equal(redactCredentials('GET https://user:p@ss@host/x failed; mail me@example.com'), 'GET https://***@host/x failed; mail me@example.com');
  assert.equal(redactCredentials('https://host/x?next=a@b'), 'https://host/x?next=a@b');
  assert.equal(displayLocation('/data/user:pass@dir'), '/data/user:pass@dir');
});
