import { counter, type Registry } from '../../platform/metrics.js';

export function scraperMetrics(registry: Registry) {
  const byStore = (name: string, help: string) => counter(registry, { name, help, labelNames: ['store'] });
  return {
    pages: byStore('ulasan_scraper_pages_total', 'Store pages fetched and applied'),
    fetched: byStore('ulasan_scraper_fetched_total', 'Reviews fetched from a store'),
    produced: byStore('ulasan_scraper_produced_total', 'Reviews produced to the reviews topic'),
    duplicates: byStore('ulasan_scraper_duplicates_skipped_total', 'Reviews skipped as already produced'),
    deadLettered: counter(registry, {
      name: 'ulasan_scraper_dead_lettered_total',
      help: 'Store records and pages dead-lettered, by code',
      labelNames: ['store', 'code'],
    }),
    errors: counter(registry, {
      name: 'ulasan_scraper_errors_total',
      help: 'Store request failures by kind (throttled, server, network: retried; not_found, refused, layout: not)',
      labelNames: ['store', 'kind'],
    }),
    runs: counter(registry, {
      name: 'ulasan_scraper_runs_total',
      help: 'Runs per app by outcome (complete, paused at the page limit, failed)',
      labelNames: ['store', 'outcome'],
    }),
  };
}
export type ScraperMetrics = ReturnType<typeof scraperMetrics>;
