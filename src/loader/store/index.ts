/** A dataset location (directory path or http(s) URL) → the store that reads it. */
import { LocalStore, type DatasetStore } from '../../shards/store.js';
import { HttpStore, isHttpUrl, type HttpStoreOptions } from './http.js';

export function openStore(location: string, http: HttpStoreOptions = {}): DatasetStore {
  return isHttpUrl(location) ? new HttpStore(location, http) : new LocalStore(location);
}

export { HttpStore, isHttpUrl, type HttpStoreOptions } from './http.js';
