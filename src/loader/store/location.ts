/**
 * A dataset location (a local directory or an http(s) URL) and the one form in which every output
 * shows it. A URL may carry `user:pass@`; `DatasetLocation` keeps that text private: its string and
 * JSON forms are the redacted display (`https://***@host/ds`), so a summary, a state file, a chart,
 * a progress line or a message cannot record the password by accident. Only `target` (for opening
 * the store) holds the text as given.
 */
import { basename, resolve } from 'node:path';
import { inspect } from 'node:util';
import { redactCredentials } from '../../util/errors.js';

export function isHttpUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** A location as it may be shown: a URL's userinfo replaced by `***`, a path unchanged. */
export function displayLocation(location: string): string {
  return isHttpUrl(location) ? redactCredentials(location) : location;
}

/** The last path segment of a URL, or its host when it has no path (never its userinfo). */
function urlName(text: string): string {
  try {
    const url = new URL(text);
    return url.pathname.split('/').filter(Boolean).pop() ?? url.hostname;
  } catch {
    return '';
  }
}

export class DatasetLocation {
  readonly #target: string;

  private constructor(target: string) {
    this.#target = target;
  }

  /** From a command line or an API caller: an http(s) URL as given, a directory resolved to an absolute path. */
  static of(text: string | DatasetLocation): DatasetLocation {
    if (text instanceof DatasetLocation) return text;
    return new DatasetLocation(isHttpUrl(text) ? text : resolve(text));
  }

  /** The location as given, credentials included: only for opening the store. Never print it. */
  get target(): string {
    return this.#target;
  }

  get display(): string {
    return displayLocation(this.#target);
  }

  /** A short name: the last path component (of a URL: of its path, else its host). */
  get name(): string {
    return (isHttpUrl(this.#target) ? urlName(this.#target) : basename(this.#target)) || 'dataset';
  }

  toString(): string {
    return this.display;
  }

  toJSON(): string {
    return this.display;
  }

  [inspect.custom](): string {
    return `DatasetLocation(${this.display})`;
  }
}
