// One prom-client registry per process, passed to whoever defines metrics (nothing uses the global
// default registry, so tests can build as many as they like).
import { Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createRegistry(processName: string, withDefaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process: processName });
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'ulasan_' });
  return registry;
}
