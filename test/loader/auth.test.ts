/**
 * Credentials kept out of the process list: DLTH_HTTP_AUTH=user:password for every http(s) URL
 * without userinfo, else a netrc entry for the host ($NETRC, else ~/.netrc). Precedence: URL
 * userinfo > DLTH_HTTP_AUTH > netrc. Checked against the local test server's Authorization header
 * (/auth/ answers 401 without `user:s3cret`), and no message ever holds a password.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TicketLoader } from '../../src/loader/loader.js';
import { credentialsFor, type Env } from '../../src/loader/store/auth.js';
import { parseNetrc } from '../../src/loader/store/netrc.js';
import { InputError } from '../../src/util/errors.js';
import { runCli } from '../cli/run-cli.js';
import { collect, tempDir, ticketMeta, ticketRows, writeDataset } from './helpers.js';
import { serveDir, type TestServer } from './server.js';

const SECRET = 's3cret';
const BASIC = `Basic ${Buffer.from(`user:${SECRET}`).toString('base64')}`;
let home = '';
let server: TestServer;

before(async () => {
  home = await tempDir('dlth-auth-');
  // Policy ticket: the helper's rows carry finite scores, which verify requires of tickets.
  const meta = { ...ticketMeta(), policy: 'ticket' as const };
  await writeDataset(join(home, 'ds'), meta, ticketRows(meta, 20));
  server = await serveDir(join(home, 'ds'));
});

after(async () => server?.close());

/** A netrc file under a fresh HOME-like directory, mode 600 unless told. */
function netrc(text: string, mode = 0o600): string {
  const dir = join(home, `h${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const file = join(dir, '.netrc');
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

/** An env that reads no real netrc: HOME points at an empty directory. */
const clean = (extra: Env = {}): Env => ({ HOME: join(home, 'nohome'), ...extra });

const refusesWithout = (secret: string) => (err: unknown): boolean => {
  assert.ok(err instanceof Error);
  assert.doesNotMatch(err.message, new RegExp(secret));
  return true;
};

test('auth: URL userinfo, then DLTH_HTTP_AUTH, then netrc (machine, else default), else none', () => {
  const file = netrc(`# comment\nmachine data.example login m password "p w\\"1"\ndefault login d password pd\n`);
  const url = (s: string): URL => new URL(s);
  assert.deepEqual(credentialsFor(url('https://u:p%40x@data.example/ds'), clean({ DLTH_HTTP_AUTH: 'e:pe', NETRC: file })), { user: 'u', password: 'p@x' });
  assert.deepEqual(credentialsFor(url('https://data.example/ds'), clean({ DLTH_HTTP_AUTH: 'e:p:e', NETRC: file })), { user: 'e', password: 'p:e' });
  assert.deepEqual(credentialsFor(url('https://DATA.example:8443/ds'), clean({ NETRC: file })), { user: 'm', password: 'p w"1' });
  assert.deepEqual(credentialsFor(url('https://other.example/ds'), clean({ NETRC: file })), { user: 'd', password: 'pd' });
  assert.deepEqual(credentialsFor(url('https://other.example/ds'), clean({ DLTH_HTTP_AUTH: '' })), null);
  const home2 = join(file, '..');
  assert.equal(credentialsFor(url('https://data.example/ds'), { HOME: home2 })?.user, 'm', '~/.netrc when NETRC is unset');
});

test('auth: a malformed DLTH_HTTP_AUTH or NETRC is refused without showing the value', () => {
  const u = new URL('https://h/ds');
  assert.throws(() => credentialsFor(u, clean({ DLTH_HTTP_AUTH: SECRET })), (e) => e instanceof InputError && /DLTH_HTTP_AUTH must be user:password/.test(e.message) && refusesWithout(SECRET)(e));
  assert.throws(() => credentialsFor(u, clean({ NETRC: join(home, 'missing') })), (e) => e instanceof InputError && /NETRC names a file that does not exist/.test(e.message));
  assert.throws(() => credentialsFor(u, clean({ NETRC: home })), /not a regular file/);
});

test('netrc: strict grammar; every refusal names the line, never a password', () => {
  const ok = parseNetrc('machine a login la password pa\n  machine b\n login lb\n password pb account x\n', 'f');
  assert.deepEqual(ok, [{ machine: 'a', login: 'la', password: 'pa' }, { machine: 'b', login: 'lb', password: 'pb' }]);
  const bad: [string, RegExp][] = [
    [`machine a login l password ${SECRET} port 80`, /line 1: unknown token/],
    [`machine a login l password ${SECRET}\nmacdef init`, /line 2: macdef is not supported/],
    [`machine a login l\nmachine b login l password ${SECRET}`, /line 1: machine "a" needs both login and password/],
    [`machine a login l password ${SECRET}\nmachine A login l password x`, /line 2: machine "A" is named twice/],
    [`default login l password ${SECRET}\nmachine a login l password x`, /line 2: the default entry must be the last one/],
    [`login l password ${SECRET}`, /line 1: login before any machine or default/],
    [`machine a login l password ${SECRET} login m`, /line 1: login given twice/],
    [`machine a login l password "${SECRET}`, /line 1: unterminated quoted token/],
    ['machine a login l password', /line 1: password without a value/],
    ['machine', /line 1: machine without a host name/],
  ];
  for (const [text, why] of bad) {
    assert.throws(() => parseNetrc(text, '/x/.netrc'), (e) => e instanceof InputError && why.test(e.message) && /^\/x\/\.netrc: netrc line/.test(e.message) && refusesWithout(SECRET)(e), text);
  }
});

test('netrc: a file others may read is refused when its password would be used, ignored otherwise', () => {
  const file = netrc(`machine 127.0.0.1 login user password ${SECRET}\n`, 0o644);
  assert.throws(() => credentialsFor(new URL('http://127.0.0.1/ds'), clean({ NETRC: file })), (e) => /chmod 600/.test((e as Error).message) && refusesWithout(SECRET)(e));
  assert.equal(credentialsFor(new URL('http://elsewhere/ds'), clean({ NETRC: file })), null);
});

test('http store: DLTH_HTTP_AUTH and netrc are sent as basic authorization; the URL userinfo wins over both', async () => {
  const open = async (url: string, env: Env): Promise<number> => (await collect((await TicketLoader.open([url], { shuffle: 'none', http: { env } })).batches(0))).length;
  const file = netrc(`machine 127.0.0.1 login user password ${SECRET}\n`);
  for (const env of [clean({ DLTH_HTTP_AUTH: `user:${SECRET}` }), clean({ NETRC: file })]) {
    const from = server.authorizations.length;
    assert.ok((await open(`${server.url}/auth/`, env)) > 0);
    assert.ok(server.authorizations.length > from);
    assert.ok(server.authorizations.slice(from).every((a) => a === BASIC), 'every request carried the credentials');
  }
  const wrongUrl = server.url.replace('http://', 'http://user:wrong-pass@');
  await assert.rejects(open(`${wrongUrl}/auth/`, clean({ DLTH_HTTP_AUTH: `user:${SECRET}`, NETRC: file })), (e: Error) => /HTTP 401/.test(e.message) && !/wrong-pass|s3cret/.test(e.message));
  await assert.rejects(open(`${server.url}/auth/`, clean({ DLTH_HTTP_AUTH: 'user:wrong-pass', NETRC: file })), (e: Error) => /HTTP 401/.test(e.message) && !/wrong-pass|s3cret/.test(e.message));
});

test('dlth inspect with DLTH_HTTP_AUTH or NETRC: authorised, and the password is printed nowhere', { timeout: 120_000 }, async () => {
  const file = netrc(`machine 127.0.0.1 login user password ${SECRET}\n`);
  const empty = { NETRC: '', HOME: join(home, 'nohome') };
  for (const env of [{ ...empty, DLTH_HTTP_AUTH: `user:${SECRET}` }, { ...empty, NETRC: file }]) {
    const r = await runCli(['inspect', `${server.url}/auth/`], { timeoutMs: 60_000, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dataset {3}http:\/\/127\.0\.0\.1:\d+\/auth\/$/m);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SECRET));
  }
  const denied = await runCli(['inspect', `${server.url}/auth/`], { timeoutMs: 60_000, env: { ...empty, DLTH_HTTP_AUTH: 'user:wrong-pass' } });
  assert.equal(denied.code, 4, denied.stderr);
  assert.doesNotMatch(denied.stdout + denied.stderr, /wrong-pass/);
  // Credentials in the URL: the dataset is shown as http://***@host/… (verify and inspect alike).
  const inUrl = `${server.url.replace('http://', `http://user:${SECRET}@`)}/auth/`;
  const [verified, inspected] = await Promise.all([runCli(['verify', inUrl], { timeoutMs: 60_000, env: empty }), runCli(['inspect', inUrl, '--json'], { timeoutMs: 60_000, env: empty })]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /^ok: http:\/\/\*\*\*@127\.0\.0\.1:\d+\/auth\/: tickets, 20 rows/);
  assert.equal(inspected.code, 0, inspected.stderr);
  assert.match((JSON.parse(inspected.stdout) as { dir: string }).dir, /^http:\/\/\*\*\*@127\.0\.0\.1:\d+\/auth\/$/);
  assert.doesNotMatch(verified.stdout + verified.stderr + inspected.stdout + inspected.stderr, new RegExp(SECRET));
});
