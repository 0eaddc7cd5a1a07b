// The transport factory: the caller's options choose chdb (embedded) or a server over HTTP. Kept apart
// from store.ts so the transports depend on the interface and the interface on neither of them.
import type { ClickHouseStore, StoreOptions } from './store.js';

/** Opens the transport the options ask for and (unless read-only) makes sure the database exists. */
export async function openStore(options: StoreOptions): Promise<ClickHouseStore> {
  const store = options.url
    ? new (await import('./http.js')).HttpStore(options.url, options.database, options.username, options.password)
    : new (await import('./chdb.js')).ChdbStore(options.chdbPath ?? '.stack/chdb', options.database);
  if (!options.readOnly) await store.exec(`CREATE DATABASE IF NOT EXISTS ${options.database}`);
  return store;
}
