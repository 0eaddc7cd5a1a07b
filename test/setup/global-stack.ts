// Starts the real stack (Kafka, Apicurio behind its guard, and a ClickHouse server for the HTTP-transport check)
// before integration tests, and stops afterwards whatever it started itself: a stack the developer
// already had running is left alone.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutFor, type ServiceName } from '../../stack/services.js';
import { downService, upService } from '../../stack/stack.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default async function setup(): Promise<() => Promise<void>> {
  const layout = layoutFor(root);
  const wanted: ServiceName[] = ['kafka', 'registry', 'registry-guard'];
  // An external server named by CLICKHOUSE_URL replaces the local one for the transport test.
  if (!process.env.CLICKHOUSE_URL) wanted.push('clickhouse-server');
  // Built once here: test files run in parallel and must not build the same package at once.
  const t0 = Date.now();
  const dir = await ensureDefaultModel();
  console.log(`[model] ${dir} ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const started: ServiceName[] = [];
  let registryWasRunning = false;
  for (const name of wanted) {
    const r = await upService(layout, name);
    if (name === 'registry') registryWasRunning = r.action !== 'started';
    // The guard belongs to a registry that outlives the tests (a developer's stack, one moved behind
    // its new guard): it stays with it.
    if (r.action === 'started' && !(name === 'registry-guard' && registryWasRunning)) started.push(name);
    console.log(`[stack] ${name} ${r.action} (${r.seconds.toFixed(1)} s)`);
  }
  return async () => {
    for (const name of started.reverse()) await downService(layout, name);
  };
}
