/** A dataset location (directory path or http(s) URL) → the store that reads it. */
import { resolve } from 'node:path';
import { LocalStore, type DatasetStore } from '../../shards/store.js';
import { HttpStore, isHttpUrl, type HttpStoreOptions } from './http.js';

export function openStore(location: string, http: HttpStoreOptions = {}): DatasetStore {
  return isHttpUrl(location) ? new HttpStore(location, http) : new LocalStore(location);
}

/** A dataset location given on a command line: an http(s) URL as given, a directory resolved to an absolute path. */
export function datasetLocation(text: string): string {
  return isHttpUrl(text) ? text : resolve(text);
}

export { HttpStore, isHttpUrl, type HttpStoreOptions } from './http.js';
