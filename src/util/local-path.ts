/**
 * Options that take a local path (`--out`, `--checkpoint`, `--scores`, `--resume`, …): a URL given
 * there is refused in one line naming the option (credentials redacted) instead of being resolved
 * into a directory called `https:` under the working directory.
 */
import { resolve } from 'node:path';
import { InputError, redactCredentials, show } from './errors.js';

/** `scheme://…` (http, https, s3, gs, file, …): a URL, not a path. */
export function looksLikeUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim());
}

/** `text` resolved to an absolute path; an InputError naming `option` when it is a URL or empty. */
export function localPath(option: string, text: string): string {
  if (looksLikeUrl(text)) throw new InputError(`${option} takes a local path, not a URL: ${show(redactCredentials(text), 200)}`);
  if (text.trim() === '') throw new InputError(`${option} takes a local path, got an empty one`);
  return resolve(text);
}
