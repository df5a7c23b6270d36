/**
 * HTTP reads are bounded in time whatever the server does: a minimum average rate, an overall
 * deadline, a stop request ending any wait; credentials in a URL are sent as basic authorization
 * and never appear in a message.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TicketLoader } from '../../src/loader/loader.js';
import { HttpStore } from '../../src/loader/store/http.js';
import { InputError } from '../../src/util/errors.js';
import { collect, tempDir, ticketMeta, ticketRows, writeDataset } from './helpers.js';
import { serveDir, type TestServer } from './server.js';

const meta = ticketMeta();
let dir = '';
let server: TestServer;

before(async () => {
  dir = join(await tempDir(), 'served');
  await writeDataset(dir, meta, ticketRows(meta, 30));
  server = await serveDir(dir);
});

after(async () => {
  await server.close();
});

async function firstBatchError(url: string, http: ConstructorParameters<typeof HttpStore>[1]): Promise<Error> {
  const loader = await TicketLoader.open([url], { http, shuffle: 'none', verify: 'first' });
  try {
    await collect(loader.batches(0));
  } catch (err) {
    return err as Error;
  }
  assert.fail('the trickled shard was read to the end');
}

test('http: a server trickling one byte every 50 ms fails the minimum rate, with an IoError naming the shard', async () => {
  const err = await firstBatchError(`${server.url}/trickle`, { timeoutMs: 400, minBytesPerSec: 1024 });
  assert.equal(err.name, 'IoError');
  assert.match(err.message, /trickle\/shard-00000\.arrow: transfer too slow: \d+ bytes in 0\.\d s \([\d.]+ bytes\/s, minimum 1024\)/);
});

test('http: an overall deadline ends a trickle even with the rate check off', async () => {
  const err = await firstBatchError(`${server.url}/trickle`, { timeoutMs: 10_000, minBytesPerSec: 0, deadlineMs: 600 });
  assert.equal(err.name, 'IoError');
  assert.match(err.message, /shard-00000\.arrow: over the 600 ms deadline of the request while reading the body/);
});

test('http: a stop request ends a read in progress with InterruptedError', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort('SIGTERM'), 300).unref();
  const err = await firstBatchError(`${server.url}/trickle`, { timeoutMs: 60_000, minBytesPerSec: 0, signal: controller.signal });
  assert.equal(err.name, 'InterruptedError');
  assert.match(err.message, /stopped \(SIGTERM\) while reading http:\/\/127\.0\.0\.1:\d+\/trickle\/shard-00000\.arrow/);
});

test('http: user:pass@ in the URL is sent as basic authorization and redacted from messages', async () => {
  const base = server.url.replace('http://', 'http://user:s3cret@');
  const ok = await TicketLoader.open([`${base}/auth/`], { shuffle: 'none' });
  assert.equal((await collect(ok.batches(0))).length > 0, true);
  const wrong = server.url.replace('http://', 'http://user:wrong-pass@');
  await assert.rejects(TicketLoader.open([`${wrong}/auth/`]), (err: Error) => {
    assert.match(err.message, /^http:\/\/\*\*\*@127\.0\.0\.1:\d+\/auth\/manifest\.json: HTTP 401 Unauthorized/);
    assert.doesNotMatch(err.message, /wrong-pass|s3cret/);
    return true;
  });
  assert.throws(() => new HttpStore('ftp://user:s3cret@host/x'), (err: Error) => !/s3cret/.test(err.message));
});

test('http: limits are validated', () => {
  for (const bad of [{ timeoutMs: 0 }, { minBytesPerSec: -1 }, { deadlineMs: Number.NaN }]) {
    assert.throws(() => new HttpStore(`${server.url}/ok`, bad), InputError);
  }
});
