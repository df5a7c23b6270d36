/**
 * A DatasetStore over HTTP(S): the base URL of a served dataset directory (manifest.json and the
 * shards beside it) reads like a local path. Uses Node's global fetch. Every request has a
 * deadline for the response headers, an idle timeout between body chunks, a minimum average
 * transfer rate (so a server trickling a byte a second cannot hold a reader for ever) and an
 * optional overall deadline; a stop request (SIGINT/SIGTERM through `stopSignal`) ends any wait at
 * once with InterruptedError. Bodies are capped (the manifest at the reader's limit, a shard at the
 * size it announced); redirects are refused unless allowed; credentials (the URL's `user:pass@`,
 * else DLTH_HTTP_AUTH, else netrc: auth.ts) are sent as HTTP basic authorization and never appear
 * in a message; every failure names the URL in its display form (`http://***@host/…`).
 */
import { InputError, IoError, ManifestError, ShardError, show } from '../../util/errors.js';
import { stopSignal } from '../../util/abort.js';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, SHARD_FILE_PATTERN } from '../../shards/manifest.js';
import type { DatasetStore, ShardSource } from '../../shards/store.js';
import { BodyReader, interruptedBy, type BodyLimits } from './body.js';
import { basicAuthorization, credentialsFor, type Env } from './auth.js';
import { displayLocation } from './location.js';

export interface HttpStoreOptions {
  /** Milliseconds to wait for response headers, and between two body chunks. Default 30 000. */
  timeoutMs?: number;
  /**
   * Minimum average body rate in bytes per second, checked once a body has been read for
   * `timeoutMs`: a slower transfer is an IoError. Default 1024; 0 turns the check off.
   */
  minBytesPerSec?: number;
  /** Overall deadline of one request (headers and body), in milliseconds. Default: none. */
  deadlineMs?: number;
  /** Follow 3xx redirects (default false: a redirect is an error naming its target). */
  followRedirects?: boolean;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /** Stops every wait with InterruptedError when aborted. Default: the CLI's stopSignal. */
  signal?: AbortSignal;
  /** Where DLTH_HTTP_AUTH, NETRC and HOME are read (default: process.env). */
  env?: Env;
}

export const HTTP_DEFAULTS = { timeoutMs: 30_000, minBytesPerSec: 1024 } as const;

/** Validates the options that bound a request (positive integers; minBytesPerSec may be 0). */
export function resolveLimits(options: HttpStoreOptions): BodyLimits {
  const timeoutMs = options.timeoutMs ?? HTTP_DEFAULTS.timeoutMs;
  const minBytesPerSec = options.minBytesPerSec ?? HTTP_DEFAULTS.minBytesPerSec;
  const deadlineMs = options.deadlineMs ?? null;
  const ok = (v: number, min: number): boolean => Number.isFinite(v) && v >= min;
  if (!ok(timeoutMs, 1)) throw new InputError(`HTTP timeout ${show(timeoutMs)} ms must be at least 1`);
  if (!ok(minBytesPerSec, 0)) throw new InputError(`HTTP minimum rate ${show(minBytesPerSec)} bytes/s must be ≥ 0`);
  if (deadlineMs !== null && !ok(deadlineMs, 1)) throw new InputError(`HTTP deadline ${show(deadlineMs)} ms must be at least 1`);
  return { timeoutMs, minBytesPerSec, deadlineMs, signal: options.signal ?? stopSignal };
}

/** The authorization header for `url`, with `user:pass@` moved out of it (fetch refuses such URLs). */
function takeCredentials(url: URL, env: Env | undefined): Record<string, string> {
  const header = basicAuthorization(credentialsFor(url, env));
  url.username = '';
  url.password = '';
  return header;
}

type Kind = 'manifest' | 'shard';

export class HttpStore implements DatasetStore {
  readonly location: string;
  private readonly base: URL;
  /** The base URL as shown: `***@` where the URL carried credentials. */
  private readonly shown: URL;
  private readonly limits: BodyLimits;
  private readonly auth: Record<string, string>;

  constructor(baseUrl: string, private readonly options: HttpStoreOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    } catch {
      throw new ManifestError(`not a valid URL: ${show(displayLocation(baseUrl))}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ManifestError(`unsupported URL scheme ${show(url.protocol)}`, { file: baseUrl });
    url.search = '';
    url.hash = '';
    this.shown = new URL(displayLocation(url.href));
    this.limits = resolveLimits(options);
    this.auth = takeCredentials(url, options.env);
    this.base = url;
    this.location = this.shown.href;
  }

  describe(name: string): string {
    return new URL(encodeURIComponent(name), this.shown).href;
  }

  async readManifest(maxBytes = MAX_MANIFEST_BYTES): Promise<Uint8Array> {
    const body = await this.get(MANIFEST_FILE, 'manifest', 'GET');
    const declared = contentLength(body.response);
    const url = this.describe(MANIFEST_FILE);
    if (declared !== null && declared > maxBytes) {
      await body.cancel();
      throw new ManifestError(`${declared} bytes is larger than the ${maxBytes}-byte limit`, { file: url });
    }
    return body.readAll(maxBytes, (n) => new ManifestError(`more than the ${maxBytes}-byte limit (${n} bytes received)`, { file: url }));
  }

  async size(name: string): Promise<number> {
    const body = await this.get(name, 'shard', 'HEAD');
    await body.cancel();
    const n = contentLength(body.response);
    if (n === null) throw new ShardError('the server sent no Content-Length (needed to check the shard size)', { file: this.describe(name) });
    return n;
  }

  async openShard(name: string): Promise<ShardSource> {
    const body = await this.get(name, 'shard', 'GET');
    const limit = contentLength(body.response) ?? Number.MAX_SAFE_INTEGER;
    return body.source(limit, (n) => new ShardError(`the server sent more than the ${limit} bytes it announced (${n})`, { file: this.describe(name) }));
  }

  private async get(name: string, kind: Kind, method: 'GET' | 'HEAD'): Promise<BodyReader> {
    const Err = kind === 'manifest' ? ManifestError : ShardError;
    if (name !== MANIFEST_FILE && !SHARD_FILE_PATTERN.test(name)) {
      throw new ManifestError(`shard file name ${show(name)} is not a plain file name in the dataset directory`, { file: this.location });
    }
    const target = new URL(encodeURIComponent(name), this.base).href;
    const url = this.describe(name);
    const { timeoutMs, deadlineMs, signal } = this.limits;
    const started = Date.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.min(timeoutMs, deadlineMs ?? Infinity));
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: { 'accept-encoding': 'identity', ...this.auth, ...this.options.headers },
        redirect: this.options.followRedirects ? 'follow' : 'manual',
        signal: AbortSignal.any([controller.signal, signal]),
      });
    } catch (err) {
      if (signal.aborted) throw interruptedBy(signal, url);
      const reason = controller.signal.aborted ? `no response within ${Math.min(timeoutMs, deadlineMs ?? Infinity)} ms` : describeFetchError(err);
      throw new IoError(`${method} ${kind} failed: ${reason}`, { file: url, cause: err });
    } finally {
      clearTimeout(timer);
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      const where = response.headers.get('location');
      const detail = response.status >= 300 && response.status < 400 ? ` (redirect to ${show(where)}; not followed)` : '';
      const missing = response.status === 404 ? (kind === 'manifest' ? ': no manifest.json here, not a dataset directory' : ': shard missing') : '';
      throw new Err(`HTTP ${response.status} ${response.statusText}${detail}${missing}`, { file: url });
    }
    if (response.headers.get('content-encoding') && response.headers.get('content-encoding') !== 'identity') {
      await response.body?.cancel().catch(() => undefined);
      throw new Err(`content-encoding ${show(response.headers.get('content-encoding'))} is not supported (serve the files as they are)`, { file: url });
    }
    return new BodyReader(response, url, this.limits, started);
  }
}

function contentLength(response: Response): number | null {
  const raw = response.headers.get('content-length');
  if (raw === null || !/^\d+$/.test(raw)) return null;
  return Number(raw);
}

function describeFetchError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? ` (${String((cause as { code: unknown }).code)})` : '';
  return `${cause instanceof Error ? cause.message : String(cause)}${code}`;
}
