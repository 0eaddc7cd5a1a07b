// Scraper processor: keeps a deployment fed. Every SCRAPER_EVERY it runs each app of SCRAPER_APPS
// in turn (the same engine as `npm run scrape`), resuming from each app's cursor. With no apps it
// idles and says so. Health turns bad when an app has failed for longer than ULASAN_STALL_MS.
import type { Context, Processor } from '../kit/context.js';
import { identityOf } from '../kit/context.js';
import { Health } from '../kit/kit.js';
import { parseConfig } from '../../platform/config.js';
import { parseDuration } from '../../platform/time.js';
import { SCRAPER_REQUIRED_IN_PRODUCTION, scraperSettings, scraperShape } from './config.js';
import { scraperMetrics } from './metrics.js';
import { buildScraper } from './scrape.js';

const NAME = 'scraper';

export const scraper: Processor = {
  name: NAME,
  topology: {
    inputs: [],
    outputs: ['reviews', 'deadLetter', 'scrapeCursors'],
    reads: ['scrapeCursors'],
    tables: [],
    commit: 'transaction',
    punctuators: [{ name: 'scrape every configured app', every: 'SCRAPER_EVERY', kind: 'wall-clock' }],
  },
  async start(ctx: Context) {
    const cfg = parseConfig(scraperShape, ctx.env, { requiredInProduction: SCRAPER_REQUIRED_IN_PRODUCTION });
    const log = ctx.logger.child({ processor: NAME });
    const health = new Health(ctx.config.ULASAN_STALL_MS);
    if (cfg.SCRAPER_APPS.length === 0) {
      log.info('no apps in SCRAPER_APPS; the scraper idles');
      return { healthy: () => true, stop: async () => undefined };
    }
    const io = { kafka: ctx.kafka, serde: ctx.serde, topics: ctx.topics, log, metrics: scraperMetrics(ctx.metrics) };
    const engine = buildScraper(io, {
      // The identity's own prefix (its ACLs), then the topic prefix: deployments sharing a cluster never
      // fence each other.
      ...scraperSettings(cfg, `${identityOf(NAME)}-${ctx.config.ULASAN_TOPIC_PREFIX}`),
      onPage: (p) => log.info(p, 'page committed'),
    });
    const firstSince = cfg.SCRAPER_FIRST_SINCE ? parseDuration(cfg.SCRAPER_FIRST_SINCE) : null;
    let stopping = false;
    const runAll = async (): Promise<void> => {
      for (const app of cfg.SCRAPER_APPS) {
        if (stopping) return;
        const since = firstSince === null ? null : Date.now() - firstSince;
        const r = await engine.scrapeApp(app, { since, firstRunOnly: true, stop: () => stopping });
        if (r.outcome === 'failed') health.waiting(`scrape ${app.store}/${app.appId}`);
        else health.ok(`scrape ${app.store}/${app.appId}`);
        log.info(r, 'scrape run finished');
      }
    };
    // The first round starts now; then the kit's scheduler runs one round per interval, never two at once.
    const first = runAll().catch((err: unknown) => log.error({ err }, 'scrape round failed; next round retries'));
    const rounds = ctx.scheduler.schedule(
      parseDuration(cfg.SCRAPER_EVERY),
      'wall-clock',
      async () => {
        await first;
        await runAll();
      },
      { name: 'scrape round', health },
    );
    return {
      healthy: () => health.healthy(),
      async stop() {
        stopping = true;
        await rounds.cancel();
        await first;
      },
    };
  },
};
