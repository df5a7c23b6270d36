/**
 * HTTP basic credentials of a dataset URL, from the first of: the URL's own `user:pass@`, the
 * environment variable `DLTH_HTTP_AUTH=user:password` (any http(s) URL without userinfo), a netrc
 * entry for the URL's host (`$NETRC`, else `~/.netrc`; `machine`, else `default`). The last two keep
 * the password out of the process list. A credential never appears in a message: errors about
 * DLTH_HTTP_AUTH or a netrc file name the variable or the file and line, never the value.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../util/errors.js';
import { readNetrcFile, type NetrcEntry } from './netrc.js';

export const HTTP_AUTH_ENV = 'DLTH_HTTP_AUTH';

export interface Credentials {
  user: string;
  password: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** `user:password` of DLTH_HTTP_AUTH (split at the first colon), or null when unset or empty. */
export function envCredentials(env: Env): Credentials | null {
  const raw = env[HTTP_AUTH_ENV];
  if (raw === undefined || raw === '') return null;
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new InputError(`${HTTP_AUTH_ENV} must be user:password (a non-empty user, a colon, the password)`);
  return { user: raw.slice(0, colon), password: raw.slice(colon + 1) };
}

/** The netrc file to read: $NETRC when set (it must exist), else ~/.netrc (absent: no entries). */
export function netrcPath(env: Env): { file: string; required: boolean } {
  const named = env.NETRC;
  if (named !== undefined && named !== '') return { file: named, required: true };
  return { file: join(env.HOME || homedir(), '.netrc'), required: false };
}

/** The entry for `host` (case-insensitive, without the port): its `machine` entry, else the `default` one, else null. */
export function netrcLookup(entries: readonly NetrcEntry[], host: string): Credentials | null {
  const h = host.toLowerCase();
  const hit = entries.find((e) => e.machine !== null && e.machine.toLowerCase() === h) ?? entries.find((e) => e.machine === null);
  return hit ? { user: hit.login, password: hit.password } : null;
}

/** The netrc credentials for `host`; refused when the file holding them is not private to this user. */
export function netrcCredentials(host: string, env: Env): Credentials | null {
  const { file, required } = netrcPath(env);
  const netrc = readNetrcFile(file, required);
  const hit = netrcLookup(netrc.entries, host);
  if (hit && netrc.exposed) throw new InputError('the netrc file holds a password but other users may read or change it (chmod 600, owned by you)', { file });
  return hit;
}

/** The credentials for `url` (URL userinfo > DLTH_HTTP_AUTH > netrc), or null for none. */
export function credentialsFor(url: URL, env: Env = process.env): Credentials | null {
  if (url.username || url.password) return { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  return envCredentials(env) ?? netrcCredentials(url.hostname, env);
}

/** The authorization header of `credentials` (HTTP basic), or no header. */
export function basicAuthorization(credentials: Credentials | null): Record<string, string> {
  if (!credentials) return {};
  return { authorization: `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}` };
}
