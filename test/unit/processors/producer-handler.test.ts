import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowToReview } from '../../../processors/producer/handler.js';
import { reviewsFromFile } from '../../../processors/producer/main.js';
import { reviewRow } from '../../../processors/review-store/handler.js';
import { APP_VERSION_MAX_CHARS, boundAppVersion } from '../../../processors/kit/app-version.js';
import { parseCsv } from '../../../platform/datasets.js';
import { freshDir } from '../../helpers.js';

const opts = { appId: 'app', source: 'play', startMs: 1000, spacingMs: 10, now: 5000 };
const row = { index: 0, text: 'aplikasi crash', label: 'negative' as const, rating: 1 };

describe('app version bound', () => {
  it('keeps real versions, trims, drops control characters and empties', () => {
    expect(boundAppVersion('2.114.0')).toBe('2.114.0');
    expect(boundAppVersion('  10.3.1-beta (2031) \n')).toBe('10.3.1-beta (2031)');
    expect(boundAppVersion('1.\u00002\u0007.3')).toBe('1.2.3');
    expect(boundAppVersion('   ')).toBeNull();
    expect(boundAppVersion(null)).toBeNull();
    expect(boundAppVersion(42)).toBeNull();
  });

  it('cuts a long version to the limit without splitting a surrogate pair, looking at a bounded prefix only', () => {
    expect(boundAppVersion('v'.repeat(1 << 20))).toBe('v'.repeat(APP_VERSION_MAX_CHARS));
    const emoji = `${'a'.repeat(APP_VERSION_MAX_CHARS - 1)}😀tail`;
    expect(boundAppVersion(emoji)).toBe('a'.repeat(APP_VERSION_MAX_CHARS - 1));
    expect(boundAppVersion(`1.0\uD800`)).toBe('1.0'); // a lone surrogate is removed
  });
});

describe('producer: app versions', () => {
  it('takes a row’s own app_version, else the --app-version default, else null', () => {
    expect(rowToReview({ ...row, extra: { app_version: '4.0.0' } }, { ...opts, appVersion: '3.0.0' }).app_version).toBe(
      '4.0.0',
    );
    expect(rowToReview(row, { ...opts, appVersion: '3.0.0' }).app_version).toBe('3.0.0');
    expect(rowToReview(row, opts).app_version).toBeNull();
    expect(rowToReview({ ...row, extra: { app_version: 'z'.repeat(1 << 20) } }, opts).app_version).toHaveLength(64);
  });

  it('reads an app_version column from CSV (and none from a CSV without one)', () => {
    const rows = parseCsv('text,label,stars,app_version\nlemot,neg,1,2.1.0\nbagus,pos,5,\n');
    expect(rows.map((r) => r.extra?.app_version)).toEqual(['2.1.0', '']);
    expect(parseCsv('text,label,stars\nlemot,neg,1\n')[0]!.extra).toBeUndefined();
    const dir = freshDir('producer-version');
    const file = path.join(dir, 'reviews.csv');
    writeFileSync(file, 'text,label,stars,app_version\nlemot,neg,1,2.1.0\nbagus,pos,5,\n');
    const reviews = reviewsFromFile(file, 'id.app', { spacingMs: 1000, appVersion: '1.0.0' });
    // An empty cell is no version of its own: the --app-version default fills it.
    expect(reviews.map((r) => r.app_version)).toEqual(['2.1.0', '1.0.0']);
    expect(reviewsFromFile(file, 'id.app', { spacingMs: 1000, appVersion: null }).map((r) => r.app_version)).toEqual([
      '2.1.0',
      null,
    ]);
  });

  it('reaches the review store row bounded', () => {
    const r = rowToReview({ ...row, extra: { app_version: '2.0.0' } }, opts);
    expect(reviewRow(r, 0, '5')).toMatchObject({ app_version: '2.0.0', kafka_offset: '5' });
    expect(reviewRow({ ...r, app_version: 'q'.repeat(1 << 20) }, 0, '6').app_version).toBe('q'.repeat(64));
    expect(reviewRow({ ...r, app_version: undefined }, 0, '7').app_version).toBeNull();
  });
});
