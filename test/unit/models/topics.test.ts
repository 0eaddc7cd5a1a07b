import { describe, expect, it } from 'vitest';
import { computeFeatures } from '../../../models/features/features.js';
import { collapseDoubles, englishForms, indonesianForms } from '../../../models/topics/affixes.js';
import {
  compileTagger,
  defaultTagger,
  loadTaxonomy,
  matchedTerms,
  parseTaxonomy,
  tagTopics,
  TOPIC_IDS,
} from '../../../models/topics/tagger.js';

const REQUIRED = [
  'account',
  'login',
  'crash',
  'slow',
  'connection',
  'payment',
  'refund',
  'delivery',
  'price',
  'ads',
  'customer_service',
  'feature_request',
  'fraud',
];

describe('topic taxonomy', () => {
  it('ships every required topic id', () => {
    for (const id of REQUIRED) expect(TOPIC_IDS).toContain(id);
    expect(loadTaxonomy().topics.map((t) => t.id)).toEqual(TOPIC_IDS);
  });

  it('refuses a taxonomy with duplicate ids, a bad id or a topic without patterns, naming what is wrong', () => {
    const topic = { id: 'a', name: 'A', indonesian: ['x'] };
    expect(() => parseTaxonomy({ version: '1', topics: [topic, topic] })).toThrow(/unique/);
    expect(() => parseTaxonomy({ version: '1', topics: [{ ...topic, id: 'Bad Id' }] })).toThrow(/topics\.0\.id/);
    expect(() => parseTaxonomy({ version: '1', topics: [{ id: 'b', name: 'B' }] })).toThrow(/at least one pattern/);
    expect(() => parseTaxonomy({ version: '1', topics: [topic], slang: { gbs: 'tidak bisa' } })).toThrow(/one word/);
  });
});

describe('topic tagger: the issue examples and slang', () => {
  const cases: [string, string[]][] = [
    ['gk bisa login', ['login']],
    ['Aplikasi sering force close', ['crash']],
    ['aplikasinya lemot', ['slow']],
    ['ongkirnya mahal banget', ['delivery', 'price']],
    ['saldo kepotong tapi pesanan batal', ['payment']],
    ['nggak bisa masuk ke akun', ['account', 'login']],
    ['lemottt bgt', ['slow']],
    ['banyak iklannya', ['ads']],
    ['CS nya tidak membalas', ['customer_service']],
    ['tolong tambahkan fitur dark mode', ['feature_request']],
    ['penipuan!! barang palsu', ['fraud']],
    ['uang saya belum kembali', ['refund']],
    ['koneksi putus terus', ['connection']],
  ];
  it.each(cases)('%s -> %j', (text, topics) => {
    expect(tagTopics(text)).toEqual(topics);
  });
});

describe('topic tagger: affixes, misspellings, English, negatives', () => {
  it('matches Indonesian prefixed and suffixed forms', () => {
    expect(tagTopics('pembayaran gagal')).toEqual(['payment']);
    expect(tagTopics('sudah membayar')).toEqual(['payment']);
    expect(tagTopics('pengirimannya lama')).toEqual(['delivery']);
    expect(tagTopics('barang belum dikirimkan')).toEqual(['delivery']);
    expect(tagTopics('saldo terpotong')).toEqual(['payment']);
    expect(tagTopics('akunnya diblokir')).toEqual(['account']);
    expect(tagTopics('ditipu seller')).toEqual(['fraud']);
    expect(tagTopics('ngelag parah')).toEqual(['slow']);
  });

  it('matches misspellings: doubled letters, reduplication digits, hyphens', () => {
    expect(tagTopics('errorr terus')).toEqual(['crash']);
    expect(tagTopics('banyak promo2')).toEqual(['price']);
    expect(tagTopics('force-close')).toEqual(['crash']);
    expect(tagTopics('gagal top-up')).toEqual(['payment']);
    expect(tagTopics('vertifikasi nomor gagal')).toEqual(['account']);
  });

  it('matches English inflections', () => {
    expect(tagTopics('App keeps crashing after the update')).toEqual(['crash']);
    expect(tagTopics('it crashed twice')).toEqual(['crash']);
    expect(tagTopics('I was charged twice and never refunded')).toEqual(['payment', 'refund']);
    expect(tagTopics('so laggy')).toEqual(['slow']);
    expect(tagTopics('Please add a wishlist')).toEqual(['feature_request']);
    expect(tagTopics('too many ads')).toEqual(['ads']);
  });

  it('does not tag praise without an aspect, nor words that only look like a term', () => {
    for (const text of [
      'aplikasi bagus sekali, mantap',
      'lagi lagi puas belanja disini', // "lagi" is not lag + -i
      'sudah masuk akal harganya wajar', // "masuk akal" is not a login problem
      'hang out bareng teman', // "hang" alone is not a freeze
      'mental anak bangsa', // "mental" is not "terpental"
      'Terima kasih, sangat membantu',
      'sinyal koalisi partai',
    ]) {
      const t = tagTopics(text);
      if (text.startsWith('sudah masuk')) expect(t).toEqual(['price']);
      else if (text.startsWith('sinyal'))
        expect(t).toEqual(['connection']); // a known false positive (docs/topics.md)
      else expect(t).toEqual([]);
    }
  });

  it('lets a gapless phrase win over the single words it covers', () => {
    expect(tagTopics('bayar pakai virtual account')).toEqual(['payment']);
    expect(tagTopics('beli paket data')).toEqual(['payment']);
    expect(tagTopics('paket belum datang')).toEqual(['delivery']);
  });

  it('returns topics in taxonomy order whatever the order in the text', () => {
    const t = tagTopics('iklan terus, lemot, login gagal, akun diblokir');
    expect(t).toEqual(['account', 'login', 'slow', 'ads']);
    expect(t).toEqual([...t].sort((a, b) => TOPIC_IDS.indexOf(a) - TOPIC_IDS.indexOf(b)));
  });

  it('tags the scorer clean text the same as the raw text', () => {
    const text = 'Gk bisa login, saldo kepotong!!! pengirimannya lemottt';
    expect(defaultTagger().tagClean(computeFeatures(text).clean_text)).toEqual(tagTopics(text));
  });
});

describe('topic tagger: matched terms for alert reasons', () => {
  it('returns the matched words and phrases per topic', () => {
    const m = matchedTerms('Saldo saya terpotong tapi pembayaran gagal, iklan muncul terus');
    expect(Object.keys(m)).toEqual(['payment', 'ads']);
    expect(m.payment).toEqual(expect.arrayContaining(['saldo saya terpotong', 'pembayaran']));
    expect(m.ads).toEqual(['iklan']);
    expect(matchedTerms('bagus')).toEqual({});
  });
});

describe('topic tagger: bounded work on hostile input', () => {
  it('looks at no more than max_tokens tokens of a review with 10,000 topic words, and still tags it', () => {
    const tagger = defaultTagger();
    const words = ['iklan', 'lemot', 'crash', 'saldo', 'ongkir', 'login', 'akun', 'refund'];
    const hostile = Array.from({ length: 10_000 }, (_, i) => words[i % words.length]).join(' ');
    expect(tagger.tokensConsidered(hostile)).toBe(tagger.maxTokens);
    expect(tagger.tag(hostile)).toEqual(['account', 'login', 'crash', 'slow', 'payment', 'refund', 'delivery', 'ads']);
    // A topic word after the bound is not seen: the bound is what limits the work.
    const late = `${'bagus '.repeat(tagger.maxTokens)}penipuan`;
    expect(tagger.tag(late)).toEqual([]);
    expect(tagger.tag(`penipuan ${'bagus '.repeat(10_000)}`)).toEqual(['fraud']);
    // One token of 1 MB is one token.
    expect(tagger.tokensConsidered('x'.repeat(1 << 20))).toBe(1);
  });

  it('compiles a user taxonomy with its own bound', () => {
    const t = compileTagger(
      parseTaxonomy({ version: 't', max_tokens: 8, topics: [{ id: 'wifi', name: 'Wifi', english: ['wifi'] }] }),
    );
    expect(t.tag('the wifi drops')).toEqual(['wifi']);
    expect(t.tag('one two three four five six seven eight wifi')).toEqual([]);
  });
});

describe('affix forms', () => {
  it('generates the nasal assimilation of me-/pe- and the common suffixes', () => {
    expect(indonesianForms('bayar')).toEqual(
      expect.arrayContaining(['membayar', 'pembayaran', 'dibayarkan', 'bayarnya']),
    );
    expect(indonesianForms('kirim')).toEqual(expect.arrayContaining(['mengirim', 'pengiriman', 'dikirimin', 'ngirim']));
    expect(indonesianForms('potong')).toEqual(
      expect.arrayContaining(['memotong', 'terpotong', 'kepotong', 'potongan']),
    );
    expect(indonesianForms('terima')).toEqual(expect.arrayContaining(['menerima', 'penerimaan', 'diterima']));
    expect(indonesianForms('sambung')).toEqual(expect.arrayContaining(['menyambung', 'nyambung']));
    expect(englishForms('crash')).toEqual(expect.arrayContaining(['crashes', 'crashed', 'crashing']));
    expect(englishForms('verify')).toEqual(expect.arrayContaining(['verified', 'verifies']));
    expect(englishForms('log')).toEqual(expect.arrayContaining(['logging', 'logged']));
    expect(collapseDoubles('lemott')).toBe('lemot');
  });
});
