// Name invariance: the measurement (pure), the name masker and the counterfactual copies.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLabelledFile } from '../../../platform/datasets.js';
import { modelInputText } from '../../../models/features/features.js';
import {
  AppNameCache,
  flattenNames,
  maskedModelText,
  NameMasker,
  nameMaskerOf,
  namesFromAppId,
  readNameList,
  readTrainingNameList,
  SHIPPED_NAMES_FILE,
} from '../../../models/features/names.js';
import { counterfactualCopies } from '../../../models/trainer/counterfactual.js';
import { manifestNameMasking } from '../../../models/trainer/manifest.js';
import { measureInvariance, NEUTRAL_PREFIX, poolInvariance, REPORT_NAMES } from '../../../models/trainer/invariance.js';
import { DATA } from './fixtures.js';

const ROWS = [
  { text: 'bagus sekali', label: 'positive' },
  { text: 'mantap', label: 'positive' },
  { text: 'jelek', label: 'negative' },
  { text: 'biasa saja', label: 'neutral' },
];

/** Positive unless the text says jelek or names indihome; neutral for "biasa". */
const toy = (texts: readonly string[]) =>
  texts.map((t) => (/jelek|indihome/.test(t) ? [1, 0, 0] : /biasa/.test(t) ? [0, 1, 0] : [0, 0, 1]));

describe('measureInvariance', () => {
  it('reports each name against the neutral prefix and the worst', async () => {
    const r = await measureInvariance(toy, ROWS, ['shopee', 'indihome']);
    expect(r.rows).toBe(4);
    expect(r.neutral).toEqual({
      prefix: 'aplikasi ini',
      accuracy: 1,
      shares: { negative: 0.25, neutral: 0.25, positive: 0.5 },
    });
    const [shopee, indihome] = r.names;
    expect(shopee!.max_share_shift).toBe(0);
    expect(shopee!.accuracy_drop).toBe(0);
    // indihome turns every row negative: negative 25 % -> 100 %, accuracy 1 -> 0.25.
    expect(indihome!.share_shift).toEqual({ negative: 0.75, neutral: -0.25, positive: -0.5 });
    expect(indihome!.accuracy_drop).toBeCloseTo(0.75);
    expect(r.worst_share_shift).toEqual({ name: 'indihome', value: 0.75 });
    expect(r.worst_accuracy_drop.name).toBe('indihome');
  });

  it('passes each text its row and floors the worst drop at zero', async () => {
    const seen: number[] = [];
    const r = await measureInvariance(
      (texts, idx) => {
        seen.push(...idx);
        return texts.map(() => [0, 0, 1]);
      },
      ROWS,
      ['a', 'b'],
      { chunk: 3 },
    );
    expect(seen).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    expect(r.worst_accuracy_drop.value).toBe(0);
    expect(r.worst_share_shift.value).toBe(0);
  });

  it('pools folds as one measurement over all their rows', async () => {
    const names = ['shopee', 'indihome'];
    const whole = await measureInvariance(toy, ROWS, names);
    const pooled = poolInvariance([
      await measureInvariance(toy, ROWS.slice(0, 1), names),
      await measureInvariance(toy, ROWS.slice(1), names),
    ]);
    expect(pooled.rows).toBe(4);
    expect(pooled.worst_share_shift.name).toBe('indihome');
    expect(pooled.worst_share_shift.value).toBeCloseTo(whole.worst_share_shift.value, 12);
    expect(pooled.names[1]!.accuracy_drop).toBeCloseTo(whole.names[1]!.accuracy_drop, 12);
  });
});

describe('NameMasker', () => {
  const m = new NameMasker(['shopee', 'livin by mandiri', 'mandiri', 'tiket.com', 'by.u', 'app store', 'bank jago']);
  const mask = (t: string): string => maskedModelText(t, m);

  it('masks names in any case, multi-word names by the longest match', () => {
    expect(mask('Aplikasi SHOPEE bagus')).toBe('aplikasi ini bagus');
    expect(mask('pakai Livin by Mandiri, lancar')).toBe('pakai ini , lancar');
    expect(mask('bank mandiri oke')).toBe('bank ini oke');
    expect(mask('pesan di Tiket.com saja')).toBe('pesan di ini saja');
    expect(mask('kartu By.U mantap')).toBe('kartu ini mantap');
    // "app" is slang for "aplikasi": the list is normalised like the review.
    expect(mask('download di App Store')).toBe('download di ini');
    expect(mask('shopeenya lemot')).toBe('ini nya lambat');
  });

  it('leaves other words alone, a common word that is only listed in a longer form too', () => {
    expect(mask('dia jago sekali')).toBe('dia jago sekali');
    expect(mask('pakai bank jago')).toBe('pakai ini');
    expect(mask('belanja online')).toBe('belanja online');
    expect(m.size).toBe(7);
  });

  it('masks an in-context name (also an ordinary word) only after an app word, or as the own app', () => {
    const list = { version: 2, names: { wallets: ['dana', 'ovo'] }, in_context: { names: ['dana'], after: ['app'] } };
    const ctx = nameMaskerOf(list);
    const masked = (t: string, appId?: string): string =>
      maskedModelText(t, ctx, appId ? new AppNameCache().get(appId) : null);
    // "dana" is "funds": a refund of funds keeps its word, the DANA app is masked.
    expect(masked('pengembalian dana belum masuk')).toBe('pengembalian dana belum masuk');
    expect(masked('danamu aman')).toBe('danamu aman');
    expect(masked('Aplikasi DANA error terus')).toBe('aplikasi ini error terus');
    // "app" is normalised like the review: it is "aplikasi" in clean text.
    expect(masked('app dananya lemot')).toBe('aplikasi ini nya lambat');
    expect(masked('pengembalian dana belum masuk', 'id.dana')).toBe('pengembalian ini belum masuk');
    expect(masked('pakai ovo saja')).toBe('pakai ini saja');
    expect(nameMaskerOf({ version: 1, names: list.names }).mask('dana')).toBe('ini');
  });

  it("adds the review's own app names from its app id", () => {
    expect(namesFromAppId('com.shopee.id')).toEqual(['shopee']);
    expect(namesFromAppId('google_play:com.tokopedia.tkpd')).toEqual(['tokopedia', 'tkpd']);
    expect(namesFromAppId('id.co.bri.brimo')).toEqual(['bri', 'brimo']);
    expect(namesFromAppId('1001394201')).toEqual([]);
    const apps = new AppNameCache();
    const clean = maskedModelText('kopikita sering error', null);
    expect(m.mask(clean, apps.get('com.kopikita.android'))).toBe('ini sering error');
    expect(m.mask(clean, apps.get('com.lain.app'))).toBe(clean);
  });

  it('ships a list covering stores, operators, banks, e-wallets and marketplaces', () => {
    const names = new Set(flattenNames(readNameList(SHIPPED_NAMES_FILE)));
    const required = [
      'google play',
      'play store',
      'app store',
      'telkomsel',
      'indosat',
      'xl',
      'smartfren',
      'tri',
      'by.u',
      'indihome',
      'ovo',
      'dana',
      'gopay',
      'shopee',
      'tokopedia',
      'bca',
      'livin by mandiri',
    ];
    expect(required.filter((n) => !names.has(n))).toEqual([]);
    expect(names.size).toBeGreaterThan(300);
    expect(REPORT_NAMES.filter((n) => !names.has(n))).toEqual([]);
    expect(REPORT_NAMES.length).toBeGreaterThanOrEqual(20);
  });

  it('masks the shipped ordinary-word names after an app word only, and their longer forms anywhere', () => {
    const shipped = nameMaskerOf(readNameList(SHIPPED_NAMES_FILE));
    const masked = (t: string): string => maskedModelText(t, shipped);
    for (const name of ['ajaib', 'bibit', 'flip', 'pintu', 'jago', 'matahari', 'signal', 'line', 'octo'])
      expect(masked(`aplikasi ${name} sering error`), name).toBe('aplikasi ini sering error');
    // Their ordinary senses keep their words: a phone signal, a door, the sun, a skilled player.
    for (const text of [
      'signal ini jelek di rumah',
      'pintu kamar rusak',
      'matahari terbenam indah',
      'dia jago main bola',
      'bibit tanaman murah',
      'the line was long',
    ])
      expect(masked(text)).toBe(text);
    expect(masked('saya pakai ajaib sekuritas')).toBe('saya pakai ini');
    // Two-word forms of one app are one placeholder, not one per word.
    for (const name of ['livin mandiri', 'bri mobile', 'jkn mobile', 'my bluebird', 'mitra bukalapak'])
      expect(masked(`aplikasi ${name} bagus`), name).toBe('aplikasi ini bagus');
    // Store titles of apps whose first word is another listed name: one placeholder too, not `ini driver`.
    for (const name of ['Gojek Driver', 'Tokopedia Seller', 'Shopee PayLater', 'Mobile Legends: Bang Bang'])
      expect(masked(`aplikasi ${name} bagus`), name).toBe('aplikasi ini bagus');
    // Slang verbs that are also lenders' names keep their words outside an app context.
    expect(masked('tolong cairin dana saya')).toBe('tolong cairin dana saya');
    expect(masked('pinjamin uang dong')).toBe('pinjamin uang dong');
    expect(masked('aplikasi cairin penipu')).toBe('aplikasi ini penipu');
  });

  it('masks a name with its web-address tail, its country word and its hyphenated forms (rules 3)', () => {
    const list = readNameList(SHIPPED_NAMES_FILE);
    const v3 = (t: string): string => maskedModelText(t, nameMaskerOf(list));
    const v2 = (t: string): string => maskedModelText(t, nameMaskerOf(list, undefined, 2));
    const cases: [string, string, string][] = [
      // [review, rules 3, rules 2 (what a package built before masks, unchanged)]
      ['belanja di shopee.co.id murah', 'belanja di ini murah', 'belanja di ini . co . id murah'],
      ['traveloka.com mantap', 'ini mantap', 'ini . com mantap'],
      ['aplikasi Shopee Indonesia bagus', 'aplikasi ini bagus', 'aplikasi ini indonesia bagus'],
      ['bca-mobile error terus', 'ini error terus', 'bca-mobile error terus'],
      ['saldo ovo-nya hilang', 'saldo ini nya hilang', 'saldo ovo-nya hilang'],
      ['kurir shopee-express cepat', 'kurir ini cepat', 'kurir shopee-express cepat'],
      ['lazada-kurir cepat', 'ini kurir cepat', 'lazada-kurir cepat'],
    ];
    for (const [text, now, before] of cases) {
      expect(v3(text), text).toBe(now);
      expect(v2(text), text).toBe(before);
    }
    // An in-context name keeps its word out of context, hyphenated too; an ordinary hyphenated word is kept.
    expect(v3('pengembalian dana-nya lama')).toBe('pengembalian dana-nya lama');
    expect(v3('aplikasi dana-nya error')).toBe('aplikasi ini nya error');
    expect(v3('kura-kura lucu')).toBe('kura-kura lucu');
    // Not a web address: a sentence that ends after a name.
    expect(v3('pakai ovo . bagus')).toBe('pakai ini . bagus');
  });

  it('refuses a list whose in-context names are not listed names (they would never be masked)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'names-'));
    const file = path.join(dir, 'names.json');
    const list = { version: 2, names: { wallets: ['ovo'] }, in_context: { names: ['dana', 'ovo'], after: ['app'] } };
    writeFileSync(file, JSON.stringify(list));
    expect(() => readTrainingNameList(file)).toThrow(/in_context names missing from "names": dana$/);
    // The build refuses it (manifestNameMasking reads the training list); a package's own copy still loads.
    expect(() =>
      manifestNameMasking({ name_masking: { names: file, at: 'train-and-serve', augment: 0 } }, dir),
    ).toThrow(/in_context names missing/);
    expect(readNameList(file).names).toEqual(list.names);
  });
});

describe('counterfactualCopies', () => {
  it('copies a share of the rows with a name written in, deterministically, labels kept', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ text: `ulasan ${i}`, label: i % 3 }));
    const a = counterfactualCopies(rows, ['shopee', 'ovo'], 0.3, 7);
    expect(a).toHaveLength(30);
    expect(counterfactualCopies(rows, ['shopee', 'ovo'], 0.3, 7)).toEqual(a);
    for (const c of a) {
      const src = rows[Number(/ulasan (\d+)/.exec(c.text)![1])]!;
      expect(c.label).toBe(src.label);
      expect(c.text).toMatch(/shopee|ovo/);
    }
    expect(counterfactualCopies(rows, [], 0.3, 7)).toEqual([]);
  });
});

describe('clean text of a prefixed ASCII review', () => {
  it('is the clean prefix, a space and the clean review (what enginePredictor relies on)', () => {
    const texts = ['smsa/valid_preprocess.tsv', 'app-reviews/train.csv', 'nusax/indonesian-valid.csv']
      .flatMap((f) => readLabelledFile(path.join(DATA, f)).map((r) => r.text))
      // eslint-disable-next-line no-control-regex -- ASCII only, as enginePredictor's shortcut
      .filter((t) => /^[\x00-\x7f]*$/.test(t));
    expect(texts.length).toBeGreaterThan(8000);
    const prefixes = [NEUTRAL_PREFIX, ...REPORT_NAMES.slice(0, 12).map((n) => `aplikasi ${n}`), 'aplikasi app store'];
    for (const p of prefixes) {
      const head = modelInputText(p);
      const bad = texts.filter((t) => {
        const body = modelInputText(t);
        return modelInputText(`${p} ${t}`) !== (body ? `${head} ${body}` : head);
      });
      expect(bad).toEqual([]);
    }
  });
});
