import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { SCHEMA_DIR, listSchemaFiles, loadSchema } from '../../platform/serde/schemas.js';
import { generate } from '../../scripts/gen-types.js';
import type { Review, ScoredReview } from '../../schemas/types.generated.js';

const REQUIRED = [
  'Review',
  'ScoredReview',
  'Feedback',
  'DriftEvent',
  'RetrainRequest',
  'ModelVersionEvent',
  'TrainingRun',
  'DeadLetter',
];

describe('Avro schemas', () => {
  it('has a valid schema for every message the system carries', () => {
    const files = listSchemaFiles();
    for (const name of REQUIRED) {
      expect(files).toContain(name);
      expect(() => avro.Type.forSchema(loadSchema(name) as avro.Schema)).not.toThrow();
    }
  });

  it('inlines shared named types so each schema is self-contained', () => {
    const s = JSON.stringify(loadSchema('ScoredReview'));
    expect(s).toContain('"symbols":["negative","neutral","positive"]');
  });

  it('round-trips a Review with optional fields omitted', () => {
    const type = avro.Type.forSchema(loadSchema('Review') as avro.Schema);
    const r: Review = {
      review_id: 'r1',
      app_id: 'app',
      source: 'play',
      text: 'bagus sekali',
      created_at: 1_700_000_000_000,
      ingested_at: 1_700_000_000_500,
    };
    const back = type.fromBuffer(type.toBuffer({ ...r, rating: null, lang: null, author_hash: null })) as Review;
    // app_version (added later, BACKWARD-compatible) decodes to its default.
    expect(back).toEqual({ ...r, rating: null, lang: null, author_hash: null, app_version: null });
  });

  it('rejects a ScoredReview with an unknown label', () => {
    const type = avro.Type.forSchema(loadSchema('ScoredReview') as avro.Schema);
    const bad = { label: 'very-positive' } as unknown as ScoredReview;
    expect(type.isValid(bad)).toBe(false);
  });

  it('keeps the generated TypeScript types in step with the .avsc files', () => {
    // Fails when someone edits a schema without running `npm run gen:types`.
    expect(readFileSync(path.join(SCHEMA_DIR, 'types.generated.ts'), 'utf8')).toBe(generate());
  });
});
