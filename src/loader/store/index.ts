/** A dataset location (directory path or http(s) URL) → the store that reads it. */
import { LocalStore, type DatasetStore } from '../../shards/store.js';
import { HttpStore, type HttpStoreOptions } from './http.js';
import { DatasetLocation, isHttpUrl } from './location.js';

/** The store of a location (an http(s) URL, credentials included, or a directory). */
export function openStore(location: string | DatasetLocation, http: HttpStoreOptions = {}): DatasetStore {
  const target = location instanceof DatasetLocation ? location.target : location;
  return isHttpUrl(target) ? new HttpStore(target, http) : new LocalStore(target);
}

/** A dataset location given on a command line: an http(s) URL as given, a directory resolved to an absolute path. */
export function datasetLocation(text: string): string {
  return DatasetLocation.of(text).target;
}

export { HttpStore, type HttpStoreOptions } from './http.js';
export { DatasetLocation, displayLocation, isHttpUrl } from './location.js';
export { credentialsFor, HTTP_AUTH_ENV, type Credentials } from './auth.js';
