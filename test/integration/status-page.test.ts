// The status page in headless Chromium (Debian's, driven by playwright-core): it loads, shows the
// model, the sentiment mix and drift status, predicts from the text box; the screenshot is kept in
// test-artifacts/status-page.png.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceReviews } from '../../processors/producer/main.js';
import { runProcessors, type Running } from '../../processors/runner.js';
import { newToken } from '../../gateway/auth.js';
import type { Review } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { ROOT, freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const reader = newToken('status-viewer', 'read');
let running: Running;
let browser: Browser;

beforeAll(async () => {
  running = await runProcessors(
    ['scoring', 'gateway'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('status'),
      ULASAN_TOPIC_PREFIX: prefix,
      SCORING_GROUP: `${prefix}scoring`,
      SCORING_MODEL_DIR: await ensureDefaultModel(),
      SCORING_INSTANCE_ID: `status-${process.pid}`,
      GATEWAY_PORT: '0',
      GATEWAY_TOKENS: reader.entry,
      LOG_LEVEL: 'warn',
    },
    { opsServer: false },
  );
  const now = Date.now();
  const reviews: Review[] = ['bagus sekali', 'jelek, sering error', 'biasa saja', 'mantap 👍'].map((text, i) => ({
    review_id: `${prefix}s${i}`,
    app_id: 'app',
    source: 'test',
    text,
    rating: null,
    lang: 'id',
    author_hash: null,
    created_at: now - 1000,
    ingested_at: now,
  }));
  await produceReviews(running.ctx.kafka, running.ctx.serde, running.ctx.topics.reviews, reviews);
  await waitFor(
    async () =>
      Number(
        (
          await running.ctx.store.query<{ n: string }>(
            `SELECT count() AS n FROM ${running.ctx.store.database}.predictions FINAL`,
          )
        )[0]!.n,
      ) === 4,
    60_000,
    'scored reviews',
  );
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

describe('status page', () => {
  it('shows the system and predicts in a real browser', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`http://127.0.0.1:${running.handles.gateway!.port as number}/`);
    // No token yet: the page says the routes need one.
    await page.waitForFunction("/UNAUTHENTICATED/.test(document.getElementById('error')?.textContent ?? '')");
    await page.fill('#token', reader.token);
    await page.click('#signin');
    await page.waitForFunction("document.getElementById('mix')?.textContent?.includes('4 ulasan')");
    expect(await page.textContent('#model')).toContain('ulasan-compact');
    expect(await page.textContent('#drift')).toBeTruthy();
    await page.fill('#text', 'Pengiriman cepat, aplikasinya sangat membantu');
    await page.click('#predict');
    await page.waitForFunction("document.getElementById('result')?.textContent?.includes('positive')");
    await page.click('#rollback'); // a read token: the page shows the coded refusal
    await page.waitForFunction("/FORBIDDEN/.test(document.getElementById('error')?.textContent ?? '')");
    const dir = path.join(ROOT, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, 'status-page.png'), fullPage: true });
  });
});
