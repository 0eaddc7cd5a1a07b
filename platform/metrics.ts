// One prom-client registry per process, passed to whoever defines metrics (nothing uses the global
// default registry, so tests can build as many as they like).
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

// A processor restarted inside the same process (tests, the runner) finds its metrics already
// registered; these return the existing metric instead of throwing.
export function counter<T extends string>(
  registry: Registry,
  c: Omit<CounterConfiguration<T>, 'registers'>,
): Counter<T> {
  return (registry.getSingleMetric(c.name) as Counter<T> | undefined) ?? new Counter({ ...c, registers: [registry] });
}
export function gauge<T extends string>(registry: Registry, c: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
  return (registry.getSingleMetric(c.name) as Gauge<T> | undefined) ?? new Gauge({ ...c, registers: [registry] });
}
export function histogram<T extends string>(
  registry: Registry,
  c: Omit<HistogramConfiguration<T>, 'registers'>,
): Histogram<T> {
  return (
    (registry.getSingleMetric(c.name) as Histogram<T> | undefined) ?? new Histogram({ ...c, registers: [registry] })
  );
}

export function createRegistry(processName: string, withDefaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process: processName });
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'ulasan_' });
  return registry;
}
