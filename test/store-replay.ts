// A local HTTP server that answers like the two stores, for the scraper's tests (this machine cannot
// reach them). Google Play: the batchexecute reviews RPC the google-play-scraper library calls, with
// its body format and continuation tokens. App Store: the public customer-reviews feed (10 pages of
// 50 at most) and the lookup API. Faults on demand: 429/503 with Retry-After, a page the scrapers
// cannot parse, a record without a date, unknown apps, and a hold that leaves requests unanswered.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureReview {
  id: string;
  /** Epoch ms, whole seconds (the RPC carries seconds and nanos). */
  at: number;
  rating: number;
  text: string;
  author: string;
  title?: string;
  /** The app version the store reports for the review (default '1.2.3'). */
  version?: string;
  /** Leave the date out of the store's record (a record the scraper must dead-letter). */
  noDate?: boolean;
}

export interface Fault {
  status: number;
  retryAfter?: string;
}

export interface Served {
  store: 'google_play' | 'app_store';
  appId: string;
  /** Continuation token or page number asked for (null: the first page). */
  page: string | null;
  status: number;
}

type StoreName = Served['store'];

export class StoreReplay {
  readonly apps = new Map<string, FixtureReview[]>();
  readonly broken = new Set<string>();
  readonly served: Served[] = [];
  readonly faults: Fault[] = [];
  googlePageSize = 40;
  private holding: { after: number; waiters: (() => void)[] } | null = null;
  private server?: Server;

  constructor(private readonly appStorePageSize = 50) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /** Reviews of an app, any order (served newest first). */
  setApp(store: StoreName, appId: string, reviews: FixtureReview[]): void {
    this.apps.set(
      `${store}/${appId}`,
      [...reviews].sort((a, b) => b.at - a.at),
    );
  }

  /** After `pages` more review pages, leave requests unanswered until release(). */
  holdAfter(pages: number): void {
    this.holding = { after: this.reviewPages() + pages, waiters: [] };
  }

  release(): void {
    const h = this.holding;
    this.holding = null;
    for (const w of h?.waiters ?? []) w();
  }

  /** Review pages answered with 200 so far. */
  reviewPages(): number {
    return this.served.filter((s) => s.status === 200).length;
  }

  held(): number {
    return this.holding?.waiters.length ?? 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => resolve(b));
    });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/lookup') return this.lookup(url, res);
    const google = url.pathname.endsWith('/data/batchexecute');
    const feed = /^\/(\w+)\/rss\/customerreviews\/page=(\d+)\/id=([^/]+)\/sortby=mostrecent\/json$/.exec(url.pathname);
    if (!google && !feed) return void res.writeHead(404).end('no such route');
    const ask = google ? parseGoogleRequest(body) : { appId: feed![3]!, page: feed![2] === '1' ? null : feed![2]! };
    const store: StoreName = google ? 'google_play' : 'app_store';
    if (this.holding && this.reviewPages() >= this.holding.after) {
      await new Promise<void>((r) => this.holding!.waiters.push(r));
    }
    const fault = this.faults.shift();
    if (fault) {
      this.served.push({ store, appId: ask.appId, page: ask.page, status: fault.status });
      const headers = fault.retryAfter ? { 'retry-after': fault.retryAfter } : undefined;
      return void res.writeHead(fault.status, headers).end('slow down');
    }
    const reviews = this.apps.get(`${store}/${ask.appId}`);
    if (!reviews && google) {
      this.served.push({ store, appId: ask.appId, page: ask.page, status: 404 });
      return void res.writeHead(404).end('Not Found');
    }
    this.served.push({ store, appId: ask.appId, page: ask.page, status: 200 });
    const broken = this.broken.has(`${store}/${ask.appId}`);
    if (google) return void res.writeHead(200).end(this.googlePage(reviews!, ask.page, broken));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(this.feedPage(reviews ?? [], Number(ask.page ?? 1), broken));
  }

  private lookup(url: URL, res: ServerResponse): void {
    const known = this.apps.has(`app_store/${url.searchParams.get('id')}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ resultCount: known ? 1 : 0, results: known ? [{ trackId: url.searchParams.get('id') }] : [] }),
    );
  }

  private googlePage(reviews: FixtureReview[], token: string | null, broken: boolean): string {
    const from = token === null ? 0 : Number(token.replace('tok-', ''));
    const page = reviews.slice(from, from + this.googlePageSize);
    const next = from + this.googlePageSize < reviews.length ? `tok-${from + this.googlePageSize}` : null;
    const data = broken ? { layout: 'changed' } : [page.map(googleRecord), next ? [null, next] : null];
    return `)]}'\n${JSON.stringify([['wrb.fr', 'UsvDTd', JSON.stringify(data), null, null, null, 'generic']])}`;
  }

  private feedPage(reviews: FixtureReview[], page: number, broken: boolean): string {
    if (broken) return JSON.stringify({ feed: { entry: 'layout changed' } });
    const size = this.appStorePageSize;
    const entries = page > 10 ? [] : reviews.slice((page - 1) * size, page * size).map(feedEntry);
    const entry = entries.length === 0 ? undefined : entries.length === 1 ? entries[0] : entries;
    return JSON.stringify({ feed: { author: { name: { label: 'iTunes Store' } }, entry, updated: { label: 'now' } } });
  }
}

/** The app id and token inside the RPC's form body (f.req holds JSON inside JSON). */
function parseGoogleRequest(body: string): { appId: string; page: string | null } {
  const freq = JSON.parse(decodeURIComponent(body.replace(/^f\.req=/, ''))) as unknown[][][];
  const inner = JSON.parse(String(freq[0]![0]![1])) as [
    null,
    null,
    [number, number, [number, null, string | null]],
    [string],
  ];
  return { appId: inner[3][0], page: inner[2][2][2] ?? null };
}

function googleRecord(r: FixtureReview): unknown[] {
  const date = r.noDate ? null : [Math.floor(r.at / 1000), 0];
  return [
    r.id,
    [r.author, [null, null, null, [null, null, 'https://img']]],
    r.rating,
    null,
    r.text,
    date,
    3,
    null,
    null,
    null,
    r.version ?? '1.2.3',
  ];
}

function feedEntry(r: FixtureReview): Record<string, unknown> {
  return {
    author: { name: { label: r.author }, uri: { label: 'https://itunes.apple.com/reviews/id1' } },
    ...(r.noDate ? {} : { updated: { label: new Date(r.at).toISOString() } }),
    'im:rating': { label: String(r.rating) },
    'im:version': { label: r.version ?? '1.2.3' },
    id: { label: r.id },
    title: { label: r.title ?? '' },
    content: { label: r.text, attributes: { type: 'text' } },
  };
}

/** `n` reviews of one app, newest `newestAt`, one minute apart, texts from `texts` in turn. */
export function fixtureReviews(prefix: string, n: number, newestAt: number, texts: string[]): FixtureReview[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    at: Math.floor(newestAt / 1000) * 1000 - i * 60_000,
    rating: 1 + (i % 5),
    text: texts[i % texts.length]!,
    author: `Pengguna ${prefix} ${i}`,
  }));
}
