/**
 * A static file server for tests, on 127.0.0.1 only, with misbehaving modes chosen by the first
 * path segment: /ok/<file>, /stall/<file> (headers never sent), /slow/<file> (body stops halfway),
 * /redirect/<file> (302), /gzip/<file> (claims content-encoding), /big/<file> (sends more bytes
 * than a Content-Length would allow: chunked, no length on GET, correct length on HEAD),
 * /trickle/<file> (one byte every 50 ms, for ever), /auth/<file> (401 without basic authorization
 * `user:s3cret`). /slow/, /big/ and /trickle/ misbehave for shards only; the manifest is served normally.
 * The root (/<file>) serves like /ok/. `authorizations` records each request's Authorization header.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, basename } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  url: string;
  requests: string[];
  /** The Authorization header of each request (null without one), in request order. */
  authorizations: (string | null)[];
  close(): Promise<void>;
}

export async function serveDir(root: string): Promise<TestServer> {
  const requests: string[] = [];
  const authorizations: (string | null)[] = [];
  const stalled: ServerResponse[] = [];
  const server: Server = createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    authorizations.push(req.headers.authorization ?? null);
    const parts = (req.url ?? '').split('/');
    const [mode, name] = parts.length === 2 ? ['ok', parts[1]] : [parts[1], parts[2]];
    let data: Buffer;
    try {
      data = await readFile(join(root, basename(decodeURIComponent(name ?? ''))));
    } catch {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    const head = req.method === 'HEAD';
    const shard = (name ?? '').endsWith('.arrow');
    if (mode === 'stall') return void stalled.push(res);
    if (mode === 'auth' && req.headers.authorization !== `Basic ${Buffer.from('user:s3cret').toString('base64')}`) {
      return void res.writeHead(401, 'Unauthorized').end();
    }
    if (mode === 'trickle' && shard && !head) {
      res.writeHead(200, { 'content-length': data.length });
      stalled.push(res);
      let at = 0;
      const timer = setInterval(() => (at < data.length - 1 && !res.destroyed ? res.write(data.subarray(at, ++at)) : clearInterval(timer)), 50);
      timer.unref();
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (mode === 'redirect') return void res.writeHead(302, { location: 'http://example.invalid/elsewhere' }).end();
    if (mode === 'gzip') return void res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': data.length }).end(head ? undefined : data);
    if (mode === 'big' && shard) {
      if (head) return void res.writeHead(200, { 'content-length': data.length }).end();
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      return void res.end(Buffer.concat([data, Buffer.alloc(4096, 1)]));
    }
    if (mode === 'slow' && shard) {
      res.writeHead(200, { 'content-length': data.length });
      if (head) return void res.end();
      res.write(data.subarray(0, data.length >> 1));
      return void stalled.push(res);
    }
    res.writeHead(200, { 'content-length': data.length, 'content-type': 'application/octet-stream' });
    res.end(head ? undefined : data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // Never outlive the test process.
  server.unref();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    authorizations,
    close: async () => {
      for (const r of stalled) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
