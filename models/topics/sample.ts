// Draws the labelled sample's rows (docs/topics.md "Precision and recall"): train-split rows only,
// fixed seed, stratified by coarse seed words so every topic has examples, the rest uniform. Writes
// row references (file, row index, sha256 of the text) with an empty label column and a tune/report
// half for each row; the labels are then written by hand. The seed words are deliberately few and
// independent of taxonomy.json, so the sample does not favour what the taxonomy already matches.
//   npx tsx models/topics/sample.ts [--out models/topics/labelled-sample.tsv]   (then label it)
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine, runCommandLine } from '../../platform/cli.js';
import { readLabelledFile, type LabelledRow } from '../../platform/datasets.js';
import { parseConfig } from '../../platform/config.js';
import { rng } from '../core/random.js';

export const SAMPLE_FILES = { 'app-reviews/train.csv': 360, 'smsa/train_preprocess.tsv': 80 } as const;
const PER_TOPIC = { 'app-reviews/train.csv': 14, 'smsa/train_preprocess.tsv': 2 } as const;
const SEED = 27;

const SEEDS: Record<string, RegExp> = {
  account: /akun|account|daftar|verifikasi/i,
  login: /login|log in|masuk|otp|password/i,
  crash: /crash|force close|error|keluar sendiri|bug/i,
  slow: /lemot|lambat|lelet|lag|lama/i,
  connection: /koneksi|jaringan|sinyal|server|internet/i,
  payment: /bayar|saldo|transaksi|top ?up|payment/i,
  refund: /refund|kembali|retur/i,
  delivery: /kirim|ongkir|kurir|paket|sampai/i,
  price: /harga|mahal|murah|diskon|promo|voucher/i,
  ads: /iklan|\bads\b/i,
  customer_service: /\bcs\b|customer service|pelayanan|komplain/i,
  feature_request: /saran|tambah|semoga|fitur|please add/i,
  fraud: /tipu|penipu|scam|palsu|hack/i,
};

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function shuffled<T>(xs: T[], rnd: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Distinct non-empty texts of a file, in a seeded order. */
function candidates(rows: LabelledRow[], rnd: () => number): LabelledRow[] {
  const seen = new Set<string>();
  const out = rows.filter((r) => {
    const t = r.text.trim();
    if (t === '' || seen.has(t)) return false;
    seen.add(t);
    return true;
  });
  return shuffled(out, rnd);
}

function pick(rows: LabelledRow[], total: number, perTopic: number): LabelledRow[] {
  const chosen = new Map<number, LabelledRow>();
  for (const re of Object.values(SEEDS)) {
    for (const r of rows.filter((x) => re.test(x.text) && !chosen.has(x.index)).slice(0, perTopic))
      chosen.set(r.index, r);
  }
  for (const r of rows) {
    if (chosen.size >= total) break;
    chosen.set(r.index, r);
  }
  return [...chosen.values()].sort((a, b) => a.index - b.index);
}

function main(): void {
  const { values } = parseCommandLine(
    { options: { out: { type: 'string', default: 'models/topics/labelled-sample.tsv' } } },
    'usage: npx tsx models/topics/sample.ts [--out models/topics/labelled-sample.tsv]',
  );
  const data = parseConfig({}).ULASAN_DATA_DIR;
  const rnd = rng(SEED);
  const lines = ['# file\trow\tsha256\thalf\ttopics'];
  for (const [file, total] of Object.entries(SAMPLE_FILES)) {
    const rows = candidates(readLabelledFile(path.join(data, file)), rnd);
    for (const r of pick(rows, total, PER_TOPIC[file as keyof typeof PER_TOPIC])) {
      const half = rnd() < 0.5 ? 'tune' : 'report';
      lines.push([file, r.index, sha256(r.text), half, '?'].join('\t'));
    }
  }
  writeFileSync(values.out!, `${lines.join('\n')}\n`);
  console.log(`${lines.length - 1} rows -> ${values.out}`);
}

if (process.argv[1] && /topics[/\\]sample\.(ts|js)$/.test(process.argv[1])) {
  runCommandLine('topics:sample', main);
}
