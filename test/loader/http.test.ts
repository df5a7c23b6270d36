import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TicketLoader } from '../../src/loader/loader.js';
import { collect, tempDir, ticketMeta, ticketRows, writeDataset } from './helpers.js';
import { serveDir, type TestServer } from './server.js';

const meta = ticketMeta();
let dir = '';
let server: TestServer;

before(async () => {
  dir = join(await tempDir(), 'served');
  await writeDataset(dir, meta, ticketRows(meta, 90));
  server = await serveDir(dir);
});

after(async () => {
  await server.close();
});

test('http: a served dataset gives the same batches as the local path', async () => {
  for (const options of [{ shuffle: 'block', block: 32, batchSize: 16, seed: 3, flip: true }, { shuffle: 'none', batchSize: 7, world: 2, rank: 1 }] as const) {
    const local = await collect((await TicketLoader.open([dir], options)).batches(1));
    const remote = await collect((await TicketLoader.open([`${server.url}/ok/`], options)).batches(1));
    assert.deepEqual(remote, local);
    assert.ok(remote.length > 0);
  }
  assert.ok(server.requests.includes('GET /ok/manifest.json'));
  assert.ok(server.requests.some((r) => r.startsWith('HEAD /ok/shard-')));
});

test('http: a URL without a dataset is a ManifestError naming the URL and status', async () => {
  await assert.rejects(TicketLoader.open([`${server.url}/ok/nothing-here/`]), (err: Error) => {
    assert.equal(err.name, 'ManifestError');
    assert.match(err.message, /^http:\/\/127\.0\.0\.1:\d+\/ok\/nothing-here\/manifest\.json: HTTP 404 Not Found: no manifest\.json here/);
    return true;
  });
});

test('http: redirects are refused, naming the target', async () => {
  await assert.rejects(TicketLoader.open([`${server.url}/redirect`]), /HTTP 302 .*redirect to "http:\/\/example\.invalid\/elsewhere"; not followed/);
});

test('http: content-encoding is refused', async () => {
  await assert.rejects(TicketLoader.open([`${server.url}/gzip`]), /content-encoding "gzip" is not supported/);
});

test('http: a server that never answers times out with an IoError', async () => {
  const t0 = Date.now();
  await assert.rejects(TicketLoader.open([`${server.url}/stall`], { http: { timeoutMs: 300 } }), (err: Error) => {
    assert.equal(err.name, 'IoError');
    assert.match(err.message, /stall\/manifest\.json: GET manifest failed: no response within 300 ms/);
    return true;
  });
  assert.ok(Date.now() - t0 < 5000);
});

test('http: a body that stops mid-shard times out with an IoError naming the shard', async () => {
  const loader = await TicketLoader.open([`${server.url}/slow`], { http: { timeoutMs: 300 }, shuffle: 'none' });
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const b of loader.batches(0)) seen.push(...b.ids);
    })(),
    (err: Error) => {
      assert.equal(err.name, 'IoError');
      assert.match(err.message, /slow\/shard-00000\.arrow: no data for 300 ms while reading the body/);
      return true;
    },
  );
  assert.deepEqual(seen, [], 'nothing of a partly read shard is yielded');
});

test('http: a shard body longer than announced is rejected', async () => {
  const loader = await TicketLoader.open([`${server.url}/big`], { batchSize: 8 });
  await assert.rejects(collect(loader.batches(0)), (err: Error) => {
    assert.equal(err.name, 'ShardError');
    assert.match(err.message, /big\/shard-\d{5}\.arrow: data after the end-of-stream marker/);
    return true;
  });
});
