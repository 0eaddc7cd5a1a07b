// Tokenization for every model kind, on @huggingface/tokenizers (the Tokenizers.js port of the Rust
// library: same tokenizer.json format, same normalizers and WordPiece/BPE models). A `vocab.txt`
// alone (as the IndoLEM IndoBERT release ships) is turned into the tokenizer.json a
// BertTokenizerFast would save: BertNormalizer (lower-case, strip accents, clean text, CJK split),
// BertPreTokenizer (whitespace + punctuation), WordPiece with `##`, `[CLS] A [SEP]`.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { UlasanError } from '../../platform/errors.js';

export type TokenizerJson = Record<string, unknown>;

export function bertTokenizerJson(vocabLines: string[], options: { lowercase?: boolean } = {}): TokenizerJson {
  const vocab: Record<string, number> = {};
  vocabLines.forEach((w, i) => {
    if (!(w in vocab)) vocab[w] = i;
  });
  for (const t of ['[PAD]', '[UNK]', '[CLS]', '[SEP]']) {
    if (!(t in vocab)) throw new UlasanError('DATA_INVALID', `vocab.txt has no ${t} token`);
  }
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((t) => t in vocab);
  const lowercase = options.lowercase ?? true;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

export function readVocabTxt(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => l.replace(/\r$/, ''));
}

export interface EncodedBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  batch: number;
  seqLen: number;
  /** Real (unpadded) length of each row. */
  lengths: number[];
}

/** Words longer than this are tokenized every time rather than remembered (bounds the memo). */
const MEMO_MAX_WORD = 64;
const MEMO_MAX_WORDS = 200_000;

/**
 * True when a space always separates pre-tokens and nothing crosses it: BERT-style normalizers
 * (character-wise) and whitespace/punctuation pre-tokenizers, no added token that eats spaces. Then
 * encode(text) = specials around the concatenation of encode(word) over the space-separated words.
 */
function splitsOnSpace(json: TokenizerJson): boolean {
  const normalizer = json.normalizer as { type?: string } | null;
  const pre = json.pre_tokenizer as { type?: string } | null;
  const model = json.model as { type?: string };
  const added = (json.added_tokens as { lstrip?: boolean; rstrip?: boolean }[] | undefined) ?? [];
  return (
    (normalizer === null ||
      ['BertNormalizer', 'Lowercase', 'NFC', 'NFD', 'NFKC', 'NFKD'].includes(normalizer.type ?? '')) &&
    ['BertPreTokenizer', 'Whitespace', 'WhitespaceSplit'].includes(pre?.type ?? '') &&
    model.type === 'WordPiece' &&
    added.every((a) => !a.lstrip && !a.rstrip)
  );
}

export class TextTokenizer {
  readonly padId: number;
  readonly vocabSize: number;
  private readonly tok: Tokenizer;
  // Word -> ids memo: review words follow Zipf's law (95 % of the words in the shared data are
  // repeats), and the JS tokenizer costs ~45 us per review while a lookup costs well under 1 us.
  // The library still tokenizes every distinct word; a parity test checks the result is identical.
  private readonly memo: Map<string, number[]> | null = null;
  private readonly prefix: number[] = [];
  private readonly suffix: number[] = [];

  constructor(
    readonly json: TokenizerJson,
    readonly maxLength = 128,
  ) {
    this.tok = new Tokenizer(json as never, {});
    const model = json.model as { vocab?: Record<string, number> | [string, number][] };
    const vocab = model.vocab;
    const added = (json.added_tokens as { id: number; content: string }[] | undefined) ?? [];
    const padding = json.padding as { pad_id?: number } | null;
    const lookup = (t: string): number | undefined =>
      added.find((a) => a.content === t)?.id ?? (vocab && !Array.isArray(vocab) ? vocab[t] : undefined);
    this.padId = padding?.pad_id ?? lookup('[PAD]') ?? lookup('<pad>') ?? 0;
    const modelSize = vocab ? (Array.isArray(vocab) ? vocab.length : Object.keys(vocab).length) : 0;
    this.vocabSize = Math.max(modelSize, ...added.map((a) => a.id + 1));
    if (splitsOnSpace(json)) {
      // The specials the post-processor puts around a single sequence, found by encoding a probe.
      const withSpecials: number[] = this.tok.encode('a').ids;
      const bare: number[] = this.tok.encode('a', { add_special_tokens: false }).ids;
      const at = withSpecials.findIndex((_, i) => bare.every((id, k) => withSpecials[i + k] === id));
      if (bare.length > 0 && at >= 0) {
        this.prefix = withSpecials.slice(0, at);
        this.suffix = withSpecials.slice(at + bare.length);
        this.memo = new Map();
      }
    }
  }

  /** Whether encode() goes through the word memo (false: every call runs the whole library path). */
  get memoized(): boolean {
    return this.memo !== null;
  }

  private wordIds(word: string): number[] {
    const memo = this.memo!;
    const hit = memo.get(word);
    if (hit) return hit;
    const ids = this.tok.encode(word, { add_special_tokens: false }).ids;
    if (word.length <= MEMO_MAX_WORD) {
      if (memo.size >= MEMO_MAX_WORDS) memo.clear(); // crude but bounded; refills from the next batch
      memo.set(word, ids);
    }
    return ids;
  }

  private encodeByWord(text: string): number[] {
    const out = this.prefix.slice();
    let start = 0;
    for (;;) {
      const space = text.indexOf(' ', start);
      const end = space === -1 ? text.length : space;
      if (end > start) for (const id of this.wordIds(text.slice(start, end))) out.push(id);
      if (space === -1) break;
      start = space + 1;
    }
    for (const id of this.suffix) out.push(id);
    return out;
  }

  /** The library's own path, without the memo (parity tests and benchmarks). */
  encodeUncached(text: string): number[] {
    return this.truncate(this.tok.encode(this.safe(text)).ids);
  }

  private safe(text: string): string {
    return text.slice(0, this.maxLength * 32).toWellFormed();
  }

  private truncate(ids: number[]): number[] {
    if (ids.length <= this.maxLength) return ids;
    return [...ids.slice(0, this.maxLength - 1), ids[ids.length - 1]!];
  }

  static fromVocabTxt(file: string, maxLength?: number): TextTokenizer {
    return new TextTokenizer(bertTokenizerJson(readVocabTxt(file)), maxLength);
  }

  /** A package directory with tokenizer.json, or vocab.txt (BERT uncased assumed). */
  static fromDir(dir: string, maxLength?: number): TextTokenizer {
    const tj = path.join(dir, 'tokenizer.json');
    if (existsSync(tj)) return new TextTokenizer(JSON.parse(readFileSync(tj, 'utf8')) as TokenizerJson, maxLength);
    const vt = path.join(dir, 'vocab.txt');
    if (existsSync(vt)) return TextTokenizer.fromVocabTxt(vt, maxLength);
    throw new UlasanError('DATA_NOT_FOUND', `no tokenizer.json or vocab.txt in ${dir}`);
  }

  /**
   * Token ids with special tokens, truncated to maxLength (the last special token is kept).
   * Never throws on text: lone surrogates become U+FFFD and very long input is cut before
   * tokenizing (a token covers at least one character, so maxLength*32 chars is always enough).
   */
  encode(text: string): number[] {
    const safe = this.safe(text);
    return this.truncate(this.memo ? this.encodeByWord(safe) : this.tok.encode(safe).ids);
  }

  tokens(text: string): string[] {
    return this.tok.encode(text.toWellFormed()).tokens;
  }

  /** Pads to the longest row of this batch (not to maxLength): short batches stay cheap. */
  pad(rows: number[][]): EncodedBatch {
    const batch = rows.length;
    const seqLen = Math.max(1, ...rows.map((r) => r.length));
    const inputIds = new BigInt64Array(batch * seqLen).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(batch * seqLen);
    const tokenTypeIds = new BigInt64Array(batch * seqLen);
    rows.forEach((r, b) => {
      for (let t = 0; t < r.length; t++) {
        inputIds[b * seqLen + t] = BigInt(r[t]!);
        attentionMask[b * seqLen + t] = 1n;
      }
    });
    return { inputIds, attentionMask, tokenTypeIds, batch, seqLen, lengths: rows.map((r) => r.length) };
  }

  encodeBatch(texts: string[]): EncodedBatch {
    return this.pad(texts.map((t) => this.encode(t)));
  }
}
