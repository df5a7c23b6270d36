/**
 * Fetching a source's input file over http(s) (a webdataset shard) into a private temporary
 * directory, removed when the process exits, so the source then reads it as a local file. The
 * request uses the dataset store's machinery (src/loader/store): its limits (header timeout, idle
 * timeout, minimum rate, deadline, stop signal), its credentials (URL `user:pass@`, DLTH_HTTP_AUTH,
 * netrc) and its redacted display of URLs. A body longer than its Content-Length, a non-200
 * status, a redirect (not followed) or a compressed transfer encoding is an InputError naming the URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, IoError, show } from '../util/errors.js';
import { basicAuthorization, credentialsFor, type Env } from '../loader/store/auth.js';
import { BodyReader, interruptedBy } from '../loader/store/body.js';
import { resolveLimits, type HttpStoreOptions } from '../loader/store/http.js';
import { displayLocation } from '../loader/store/location.js';

let spool: string | null = null;
let counter = 0;

/** The process's spool directory (created on first use, removed at exit). */
function spoolDir(): string {
  if (spool === null) {
    const dir = mkdtempSync(join(tmpdir(), 'dlth-source-'));
    spool = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return spool;
}

/** Downloads `url` (at most `maxBytes`) to a temporary file and returns its path. */
export async function downloadToTemp(url: string, maxBytes: number, options: HttpStoreOptions & { env?: Env } = {}): Promise<string> {
  const shown = displayLocation(url);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new InputError(`not a valid URL: ${show(shown)}`);
  }
  const auth = basicAuthorization(credentialsFor(target, options.env));
  target.username = '';
  target.password = '';
  const limits = resolveLimits(options);
  const { timeoutMs, deadlineMs, signal } = limits;
  const started = Date.now();
  const controller = new AbortController();
  const wait = Math.min(timeoutMs, deadlineMs ?? Infinity);
  const timer = setTimeout(() => controller.abort(), wait);
  let response: Response;
  try {
    response = await fetch(target, {
      headers: { 'accept-encoding': 'identity', ...auth, ...options.headers },
      redirect: options.followRedirects ? 'follow' : 'manual',
      signal: AbortSignal.any([controller.signal, signal]),
    });
  } catch (err) {
    if (signal.aborted) throw interruptedBy(signal, shown);
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const reason = controller.signal.aborted ? `no response within ${wait} ms` : cause instanceof Error ? cause.message : String(cause);
    throw new IoError(`GET failed: ${reason}`, { file: shown, cause: err });
  } finally {
    clearTimeout(timer);
  }
  const refuse = async (why: string): Promise<never> => {
    await response.body?.cancel().catch(() => undefined);
    throw new InputError(why, { file: shown });
  };
  if (response.status !== 200) {
    const where = response.headers.get('location');
    await refuse(`HTTP ${response.status} ${response.statusText}${response.status >= 300 && response.status < 400 ? ` (redirect to ${show(where)}; not followed)` : ''}`);
  }
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') await refuse(`content-encoding ${show(encoding)} is not supported (serve the files as they are)`);
  const raw = response.headers.get('content-length');
  const declared = raw !== null && /^\d+$/.test(raw) ? Number(raw) : null;
  if (declared !== null && declared > maxBytes) await refuse(`${declared} bytes is more than the ${maxBytes}-byte limit`);
  const limit = declared ?? maxBytes;
  const body = new BodyReader(response, shown, limits, started).source(limit, (n) =>
    new InputError(declared === null ? `more than the ${maxBytes}-byte limit (${n} bytes received)` : `the server sent more than the ${declared} bytes it announced (${n})`, { file: shown }));
  const file = join(spoolDir(), `${++counter}-${(target.pathname.split('/').pop() ?? 'file').replace(/[^A-Za-z0-9._-]/g, '_').slice(-100)}`);
  const out = await open(file, 'wx', 0o600);
  let total = 0;
  try {
    const buf = new Uint8Array(1 << 20);
    for (let n = await body.read(buf); n > 0; n = await body.read(buf)) {
      await out.write(buf, 0, n);
      total += n;
    }
  } catch (err) {
    await body.close();
    await out.close();
    rmSync(file, { force: true });
    throw err;
  }
  await out.close();
  if (declared !== null && total !== declared) {
    rmSync(file, { force: true });
    throw new InputError(`the server sent ${total} of the ${declared} bytes it announced (connection closed early?)`, { file: shown });
  }
  return file;
}
