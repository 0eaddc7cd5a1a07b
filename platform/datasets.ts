// Readers for the labelled data sets in ULASAN_DATA_DIR (never copied into the repo):
// SmSA TSV (text<TAB>label, no header), app-review CSV (text,label,stars and an optional app_version;
// RFC 4180 with embedded newlines, so a real CSV parser), and JSONL. Labels end up as negative/neutral/positive.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { UlasanError } from './errors.js';
import type { Sentiment } from '../schemas/types.generated.js';

export interface LabelledRow {
  index: number;
  text: string;
  label: Sentiment | null;
  rating: number | null;
  extra?: Record<string, unknown>;
}

const LABELS: Record<string, Sentiment> = {
  negative: 'negative',
  neutral: 'neutral',
  positive: 'positive',
  neg: 'negative',
  pos: 'positive',
};

/** Stars 1-2 negative, 3 neutral, 4-5 positive (the app-review label column is unreliable: see data README). */
export function starsToSentiment(stars: number): Sentiment {
  return stars <= 2 ? 'negative' : stars === 3 ? 'neutral' : 'positive';
}

export function parseTsv(text: string): LabelledRow[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, index) => {
      const tab = line.lastIndexOf('\t');
      const t = tab >= 0 ? line.slice(0, tab) : line;
      const lab = tab >= 0 ? (LABELS[line.slice(tab + 1).trim()] ?? null) : null;
      return { index, text: t, label: lab, rating: null };
    });
}

// Parse errors name the line and the kind of problem, never the text: csv-parse and JSON.parse quote
// the offending value, and a failure reason travels into run records, logs and topics.
function csvRecords(text: string): Record<string, string>[] {
  try {
    return parse(text, { columns: true, skip_empty_lines: true, relax_quotes: false, bom: true }) as Record<
      string,
      string
    >[];
  } catch (err) {
    const e = err as { code?: string; lines?: number };
    throw new UlasanError('DATA_INVALID', `not valid CSV (${e.code ?? 'parse error'} at line ${e.lines ?? '?'})`);
  }
}

export function parseCsv(text: string): LabelledRow[] {
  const records = csvRecords(text);
  return records.map((r, index) => {
    const stars = r.stars !== undefined && r.stars !== '' ? Number(r.stars) : null;
    const label =
      stars !== null && Number.isInteger(stars)
        ? starsToSentiment(stars)
        : r.label
          ? (LABELS[r.label.trim()] ?? null)
          : null;
    const row: LabelledRow = { index, text: (r.text ?? '').trim(), label, rating: stars };
    // An app_version column is carried for the producer (the review's app version); nothing else is.
    if (r.app_version !== undefined) row.extra = { app_version: r.app_version };
    return row;
  });
}

export function parseJsonl(text: string): LabelledRow[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, index) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new UlasanError('DATA_INVALID', `record ${index + 1} is not a JSON line`);
      }
      const rating = typeof o.rating === 'number' ? o.rating : typeof o.stars === 'number' ? o.stars : null;
      const rawLabel = typeof o.label === 'string' ? (LABELS[o.label] ?? null) : null;
      return {
        index,
        text: String(o.text ?? ''),
        label: rawLabel ?? (rating ? starsToSentiment(rating) : null),
        rating,
        extra: o,
      };
    });
}

export function readLabelledFile(file: string): LabelledRow[] {
  if (!existsSync(file))
    throw new UlasanError('DATA_NOT_FOUND', `no data file at ${file} (set ULASAN_DATA_DIR or pass a path)`);
  const text = readFileSync(file, 'utf8');
  const ext = path.extname(file).toLowerCase();
  if (ext === '.tsv') return parseTsv(text);
  if (ext === '.csv') return parseCsv(text);
  if (ext === '.jsonl' || ext === '.ndjson') return parseJsonl(text);
  throw new UlasanError('DATA_INVALID', `unsupported file type ${ext} (expected .tsv, .csv or .jsonl)`);
}
