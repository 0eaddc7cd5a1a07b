// Tokenizer parity with reference ids recorded from the Hugging Face tokenizers (fixtures README),
// padding/truncation behaviour, bad input, and the word memo's parity with the library.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../../models/core/tokenizer.js';
import { modelInputText } from '../../../models/features/features.js';
import { readLabelledFile } from '../../../platform/datasets.js';
import { BERT_TINY, DATA, VOCAB, XLMR_TINY } from './fixtures.js';

describe('tokenizer parity with reference ids', () => {
  it('IndoLEM IndoBERT vocab.txt (WordPiece, uncased)', () => {
    const t = TextTokenizer.fromVocabTxt(VOCAB);
    expect(t.encode('Saya sangat senang dengan pelayanan ini')).toEqual([3, 1731, 1906, 5207, 1545, 4557, 1540, 4]);
    expect(t.encode('Pelayanannya buruk sekali!')).toEqual([3, 28493, 4088, 2268, 5, 4]);
    expect(t.padId).toBe(0);
    expect(t.vocabSize).toBe(31923);
  });

  it('bert-base-uncased tokenizer.json', () => {
    const t = TextTokenizer.fromDir(BERT_TINY);
    expect(t.encode('hello world')).toEqual([101, 7592, 2088, 102]);
  });

  it('XLM-R byte-level BPE tokenizer.json with its own pad id', () => {
    const t = TextTokenizer.fromDir(XLMR_TINY);
    expect(t.encode('hello world')).toEqual([0, 79, 85, 2]);
    expect(t.padId).toBe(1);
  });

  it('lower-cases, strips accents, splits punctuation and marks ## pieces', () => {
    const t = TextTokenizer.fromVocabTxt(VOCAB);
    expect(t.tokens('Café NAÏVE, bagusss!')).toEqual([
      '[CLS]',
      'cafe',
      'nai',
      '##ve',
      ',',
      'bagus',
      '##ss',
      '!',
      '[SEP]',
    ]);
  });
});

describe('batching', () => {
  const t = TextTokenizer.fromVocabTxt(VOCAB, 16);

  it('pads to the longest row of the batch with attention mask and token type ids', () => {
    const b = t.encodeBatch(['bagus', 'aplikasi ini sangat membantu']);
    expect(b.batch).toBe(2);
    expect(b.seqLen).toBe(b.lengths[1]);
    expect(b.lengths[0]).toBe(3);
    const row0 = Array.from(b.attentionMask.slice(0, b.seqLen), Number);
    expect(row0).toEqual([1, 1, 1, ...new Array(b.seqLen - 3).fill(0)]);
    expect(Array.from(b.inputIds.slice(3, b.seqLen), Number).every((x) => x === t.padId)).toBe(true);
    expect(Array.from(b.tokenTypeIds).every((x) => x === 0n)).toBe(true);
  });

  it('truncates to max length and keeps the closing [SEP]', () => {
    const ids = t.encode('kata '.repeat(100));
    expect(ids).toHaveLength(16);
    expect(ids[0]).toBe(3);
    expect(ids[15]).toBe(4);
  });
});

describe('bad input never crashes the tokenizer', () => {
  const t = TextTokenizer.fromVocabTxt(VOCAB, 128);
  it.each([
    ['empty', ''],
    ['whitespace only', ' \n\t '],
    ['emoji only', '😀😀👍'],
    ['lone surrogate', 'rusak \uD83D teks'],
    ['non-Indonesian', 'これは日本語です and English'],
    ['100 KB', 'a'.repeat(100 * 1024)],
  ])('%s', (_, text) => {
    const ids = t.encode(text);
    expect(ids[0]).toBe(3);
    expect(ids.at(-1)).toBe(4);
    expect(ids.length).toBeLessThanOrEqual(128);
  });
});

describe('word memo gives exactly the library result', () => {
  // Every text of the shared data, raw and as the compact model sees it, plus hostile cases: the memo
  // path (split on spaces, remembered word ids) must equal the library's whole-text path id for id.
  const texts = [
    ...readLabelledFile(path.join(DATA, 'app-reviews/train.csv')),
    ...readLabelledFile(path.join(DATA, 'smsa/train_preprocess.tsv')),
    ...readLabelledFile(path.join(DATA, 'smsa/valid_preprocess.tsv')),
  ].map((r) => r.text);
  const hostile = [
    '',
    ' ',
    '   dua  spasi   ',
    'tab\tdi\ttengah',
    'baris\nbaru\r\nlagi',
    'nol\u0000kontrol\u0007',
    'nbsp\u00a0dan\u2003em',
    'これは日本語です and 中文',
    'Café NAÏVE ÀÉÎ',
    '😀😀👍 mantap👍',
    'rusak \uD83D teks',
    '[CLS] [SEP] [MASK] [UNK]',
    'x[SEP]y',
    `${'a'.repeat(150)} panjang`,
    'kata '.repeat(300),
    '\u200b\u200d\ufeff nol-lebar',
    'ÅNGSTRÖM ﬁ ①②',
    'Ａｐｌｉｋａｓｉ',
  ];

  it.each([
    ['IndoLEM vocab.txt', () => TextTokenizer.fromVocabTxt(VOCAB, 128)],
    ['bert-base-uncased tokenizer.json', () => TextTokenizer.fromDir(BERT_TINY, 128)],
  ])('%s', (_, make) => {
    const t = make();
    expect(t.memoized).toBe(true);
    const all = [...texts, ...texts.map((x) => modelInputText(x)), ...hostile];
    expect(all.length).toBeGreaterThan(30_000);
    const mismatches = all.filter((x) => JSON.stringify(t.encode(x)) !== JSON.stringify(t.encodeUncached(x)));
    expect(mismatches).toEqual([]);
  });

  it('is not used where a space does not separate pre-tokens (XLM-R SentencePiece)', () => {
    const t = TextTokenizer.fromDir(XLMR_TINY);
    expect(t.memoized).toBe(false);
    expect(t.encode('hello world')).toEqual([0, 79, 85, 2]);
  });
});
