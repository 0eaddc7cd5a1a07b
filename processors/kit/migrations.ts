// Versioned, idempotent DDL. Every statement is IF NOT EXISTS, so a migration is safe to re-run even
// if its bookkeeping row was lost; applied ids are recorded in schema_migrations.
// Written for current ClickHouse (chdb 26.x in CI; the compose file pins a current server).
import { UlasanError } from '../../platform/errors.js';
import type { ClickHouseStore } from '../../platform/clickhouse/store.js';

export interface Migration {
  id: number;
  name: string;
  statements: (db: string) => string[];
}

const SENTIMENT = `Enum8('negative' = 0, 'neutral' = 1, 'positive' = 2)`;
const TS = `DateTime64(3, 'UTC')`;

export const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'reviews and predictions',
    statements: (db) => [
      // Raw reviews as ingested. ReplacingMergeTree on review_id: a replayed or re-produced review
      // collapses to one row (read with FINAL for exact counts before merges).
      `CREATE TABLE IF NOT EXISTS ${db}.reviews (
        review_id String,
        app_id LowCardinality(String),
        source LowCardinality(String),
        text String CODEC(ZSTD(3)),
        rating Nullable(UInt8),
        lang LowCardinality(Nullable(String)),
        author_hash Nullable(String),
        created_at ${TS},
        ingested_at ${TS},
        kafka_partition UInt16,
        kafka_offset UInt64,
        inserted_at ${TS} DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(inserted_at)
      PARTITION BY toYYYYMM(created_at)
      ORDER BY review_id`,
      // One row per review: the scoring processor's prediction. A redelivered or re-scored review
      // replaces its row (latest scored_at wins); read with FINAL, or argMax(..., scored_at)
      // GROUP BY review_id, to see each review exactly once.
      `CREATE TABLE IF NOT EXISTS ${db}.predictions (
        review_id String,
        app_id LowCardinality(String),
        source LowCardinality(String),
        label ${SENTIMENT},
        prob_negative Float32,
        prob_neutral Float32,
        prob_positive Float32,
        confidence Float32,
        model_name LowCardinality(String),
        model_version LowCardinality(String),
        feature_set_version LowCardinality(String),
        created_at ${TS},
        scored_at ${TS},
        latency_ms Float32 DEFAULT 0,
        kafka_partition UInt16,
        kafka_offset UInt64
      ) ENGINE = ReplacingMergeTree(scored_at)
      PARTITION BY toYYYYMM(created_at)
      ORDER BY review_id
      TTL toDateTime(created_at) + INTERVAL 2 YEAR`,
      // Shadow predictions of Staging versions, one row per review and version, for online
      // comparison with Production before a promotion.
      `CREATE TABLE IF NOT EXISTS ${db}.shadow_predictions AS ${db}.predictions
      ENGINE = ReplacingMergeTree(scored_at)
      PARTITION BY toYYYYMM(created_at)
      ORDER BY (review_id, model_version)
      TTL toDateTime(created_at) + INTERVAL 180 DAY`,
    ],
  },
  {
    id: 2,
    name: 'feature store',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.review_features (
        review_id String,
        app_id LowCardinality(String),
        feature_set_version LowCardinality(String),
        clean_text String CODEC(ZSTD(3)),
        word_count UInt32,
        char_count UInt32,
        mean_word_length Float32,
        exclamation_count UInt16,
        question_count UInt16,
        uppercase_ratio Float32,
        emoji_count UInt16,
        url_count UInt16,
        mention_count UInt16,
        hashtag_count UInt16,
        digit_ratio Float32,
        stopword_ratio Float32,
        elongated_word_count UInt16,
        created_at ${TS},
        computed_at ${TS}
      ) ENGINE = ReplacingMergeTree(computed_at)
      PARTITION BY toYYYYMM(created_at)
      ORDER BY (review_id, feature_set_version)`,
    ],
  },
  {
    id: 3,
    name: 'feedback',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.feedback (
        review_id String,
        true_label ${SENTIMENT},
        source LowCardinality(String),
        user_hash Nullable(String),
        comment Nullable(String),
        given_at ${TS}
      ) ENGINE = ReplacingMergeTree(given_at)
      ORDER BY review_id`,
    ],
  },
  {
    id: 4,
    name: 'monitoring',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.drift_metrics (
        event_id String,
        window_start ${TS},
        window_end ${TS},
        window_size LowCardinality(String),
        feature LowCardinality(String),
        test LowCardinality(String),
        statistic Float64,
        p_value Nullable(Float64),
        threshold Float64,
        drifted Bool,
        sample_size UInt64,
        model_version LowCardinality(String),
        emitted_at ${TS}
      ) ENGINE = ReplacingMergeTree(emitted_at)
      PARTITION BY toYYYYMM(window_start)
      ORDER BY (window_size, window_start, feature, test)
      TTL toDateTime(window_start) + INTERVAL 400 DAY`,
      `CREATE TABLE IF NOT EXISTS ${db}.retrain_events (
        request_id String,
        model_name LowCardinality(String),
        decision Enum8('fired' = 1, 'suppressed' = 2),
        reasons Array(LowCardinality(String)),
        detail String,
        requested_by LowCardinality(String),
        decided_at ${TS}
      ) ENGINE = MergeTree
      ORDER BY (decided_at, request_id)
      TTL toDateTime(decided_at) + INTERVAL 2 YEAR`,
    ],
  },
  {
    id: 5,
    name: 'model registry and runs',
    statements: (db) => [
      // Full stage history (never replaced): "which version was Production at T" is one query.
      `CREATE TABLE IF NOT EXISTS ${db}.model_versions (
        name LowCardinality(String),
        version UInt32,
        stage Enum8('None' = 0, 'Staging' = 1, 'Production' = 2, 'Archived' = 3),
        metrics Map(String, Float64),
        artifact_uri String,
        content_hash String,
        run_id Nullable(String),
        reason String,
        actor LowCardinality(String),
        event_time ${TS}
      ) ENGINE = ReplacingMergeTree
      ORDER BY (name, version, event_time, stage)`,
      `CREATE TABLE IF NOT EXISTS ${db}.training_runs (
        run_id String,
        request_id Nullable(String),
        model_name LowCardinality(String),
        status Enum8('started' = 1, 'succeeded' = 2, 'failed' = 3),
        params Map(String, String),
        dataset_hash Nullable(String),
        dataset_rows Nullable(UInt64),
        git_sha Nullable(String),
        metrics Map(String, Float64),
        reason Nullable(String),
        model_version Nullable(UInt32),
        event_time ${TS}
      ) ENGINE = ReplacingMergeTree(event_time)
      ORDER BY (run_id, status)`,
    ],
  },
  {
    id: 6,
    name: 'drift windows, late records, performance windows',
    statements: (db) => [
      // One row per closed window: its verdict and a profile (means and label mix) for trend views.
      `CREATE TABLE IF NOT EXISTS ${db}.drift_windows (
        window_size LowCardinality(String),
        window_start ${TS},
        window_end ${TS},
        rows UInt64,
        tested Bool,
        drifted Bool,
        severity Float32,
        method LowCardinality(String),
        model_version LowCardinality(String),
        profile String,
        closed_at ${TS}
      ) ENGINE = ReplacingMergeTree(closed_at)
      ORDER BY (window_size, window_start)
      TTL toDateTime(window_start) + INTERVAL 400 DAY`,
      `CREATE TABLE IF NOT EXISTS ${db}.late_records (
        window_size LowCardinality(String),
        review_id String,
        event_time ${TS},
        seen_at ${TS}
      ) ENGINE = ReplacingMergeTree(seen_at)
      ORDER BY (window_size, review_id)
      TTL toDateTime(seen_at) + INTERVAL 90 DAY`,
      `CREATE TABLE IF NOT EXISTS ${db}.performance_windows (
        model_name LowCardinality(String),
        model_version LowCardinality(String),
        window_start ${TS},
        window_end ${TS},
        feedback_rows UInt64,
        accuracy Nullable(Float64),
        macro_f1 Nullable(Float64),
        error_rate Nullable(Float64),
        accuracy_drop Nullable(Float64),
        estimated_accuracy Nullable(Float64),
        computed_at ${TS}
      ) ENGINE = ReplacingMergeTree(computed_at)
      ORDER BY (model_name, window_start)`,
    ],
  },
  {
    id: 7,
    name: '30-day trend views',
    statements: (db) => [
      `CREATE VIEW IF NOT EXISTS ${db}.trend_daily_volume AS
        SELECT toDate(created_at) AS day, app_id, count() AS reviews
        FROM ${db}.predictions FINAL WHERE created_at >= now() - INTERVAL 30 DAY
        GROUP BY day, app_id ORDER BY day, app_id`,
      `CREATE VIEW IF NOT EXISTS ${db}.trend_daily_sentiment AS
        SELECT toDate(created_at) AS day, app_id, countIf(label = 'negative') AS negative,
               countIf(label = 'neutral') AS neutral, countIf(label = 'positive') AS positive,
               avg(confidence) AS mean_confidence
        FROM ${db}.predictions FINAL WHERE created_at >= now() - INTERVAL 30 DAY
        GROUP BY day, app_id ORDER BY day, app_id`,
      `CREATE VIEW IF NOT EXISTS ${db}.trend_daily_drift AS
        SELECT toDate(window_start) AS day, window_size, feature, test, avg(statistic) AS mean_statistic,
               min(p_value) AS min_p_value, countIf(drifted) AS drifted_windows, count() AS windows
        FROM ${db}.drift_metrics FINAL WHERE window_start >= now() - INTERVAL 30 DAY
        GROUP BY day, window_size, feature, test ORDER BY day`,
      `CREATE VIEW IF NOT EXISTS ${db}.trend_daily_error_rate AS
        SELECT toDate(f.given_at) AS day, count() AS feedback,
               countIf(toString(p.label) != toString(f.true_label)) / count() AS error_rate
        FROM ${db}.feedback AS f FINAL
        INNER JOIN (SELECT review_id, label FROM ${db}.predictions FINAL) AS p ON p.review_id = f.review_id
        WHERE f.given_at >= now() - INTERVAL 30 DAY GROUP BY day ORDER BY day`,
    ],
  },
  {
    id: 8,
    name: 'backtests',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.backtest_predictions (
        run_id String,
        review_id String,
        app_id LowCardinality(String),
        label ${SENTIMENT},
        prob_negative Float32,
        prob_neutral Float32,
        prob_positive Float32,
        model_version LowCardinality(String),
        created_at ${TS},
        replayed_at ${TS}
      ) ENGINE = ReplacingMergeTree(replayed_at)
      ORDER BY (run_id, review_id)
      TTL toDateTime(replayed_at) + INTERVAL 180 DAY`,
    ],
  },
  {
    id: 9,
    name: 'dead letters',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.dead_letters (
        origin_topic LowCardinality(String),
        origin_partition UInt16,
        origin_offset UInt64,
        processor LowCardinality(String),
        error_code LowCardinality(String),
        reason String,
        failed_at ${TS}
      ) ENGINE = ReplacingMergeTree(failed_at)
      ORDER BY (origin_topic, origin_partition, origin_offset, processor)
      TTL toDateTime(failed_at) + INTERVAL 90 DAY`,
    ],
  },
  {
    id: 10,
    name: 'dead letters: size and sha256 of the original value',
    statements: (db) => [
      `ALTER TABLE ${db}.dead_letters ADD COLUMN IF NOT EXISTS original_size Nullable(UInt64)`,
      `ALTER TABLE ${db}.dead_letters ADD COLUMN IF NOT EXISTS original_sha256 Nullable(String)`,
      `ALTER TABLE ${db}.dead_letters ADD COLUMN IF NOT EXISTS original_truncated Bool DEFAULT false`,
    ],
  },
  {
    id: 11,
    name: 'predictions: sha256 of the scored text (review edits and id conflicts)',
    statements: (db) => [
      `ALTER TABLE ${db}.predictions ADD COLUMN IF NOT EXISTS text_hash String DEFAULT ''`,
      `ALTER TABLE ${db}.shadow_predictions ADD COLUMN IF NOT EXISTS text_hash String DEFAULT ''`,
    ],
  },
  {
    id: 12,
    name: 'drift per segment, against references captured from the traffic',
    statements: (db) => [
      // One row per window, size and segment (an app, or 'all'): role 'reference' while the
      // segment's reference is being captured, 'test' afterwards.
      `CREATE TABLE IF NOT EXISTS ${db}.drift_segment_windows (
        window_size LowCardinality(String),
        segment LowCardinality(String),
        window_start ${TS},
        window_end ${TS},
        rows UInt64,
        role LowCardinality(String),
        tested Bool,
        drifted Bool,
        severity Float32,
        drifted_features Array(LowCardinality(String)),
        reason String,
        features String,
        reference_model_version LowCardinality(String),
        reference_start ${TS},
        reference_end ${TS},
        reference_rows UInt64,
        model_version LowCardinality(String),
        closed_at ${TS}
      ) ENGINE = ReplacingMergeTree(closed_at)
      ORDER BY (window_size, segment, window_start)
      TTL toDateTime(window_start) + INTERVAL 400 DAY`,
      // The captured references themselves (sketches and counts), restored when the processor starts.
      `CREATE TABLE IF NOT EXISTS ${db}.drift_references (
        window_size LowCardinality(String),
        segment LowCardinality(String),
        model_version LowCardinality(String),
        start_ms Int64,
        end_ms Int64,
        rows UInt64,
        summary String CODEC(ZSTD(3)),
        updated_at ${TS}
      ) ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY (window_size, segment, model_version, start_ms)`,
    ],
  },
  {
    id: 13,
    name: 'admin audit trail; feedback kept per review and submitter',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.admin_audit (
        action_id String,
        action LowCardinality(String),
        actor String,
        remote_address String,
        model_name LowCardinality(String),
        from_version Nullable(String),
        to_version Nullable(String),
        reason String,
        outcome LowCardinality(String),
        error_code Nullable(String),
        at ${TS}
      ) ENGINE = ReplacingMergeTree(at)
      ORDER BY (at, action_id)`,
      // Repeated feedback for one review collapses to the latest per submitter (the gateway token it
      // came with), not to the latest overall: one token cannot overwrite another's label.
      `ALTER TABLE ${db}.feedback ADD COLUMN IF NOT EXISTS submitter String, MODIFY ORDER BY (review_id, submitter)`,
    ],
  },
  {
    id: 14,
    name: 'drift segment windows: where the reference came from (a traffic window or the model package)',
    statements: (db) => [
      `ALTER TABLE ${db}.drift_segment_windows
        ADD COLUMN IF NOT EXISTS reference_origin LowCardinality(String) DEFAULT 'window',
        ADD COLUMN IF NOT EXISTS reference_sources Array(String)`,
    ],
  },
  {
    id: 15,
    name: 'app versions on reviews and predictions; complaint topics on predictions',
    statements: (db) => [
      `ALTER TABLE ${db}.reviews ADD COLUMN IF NOT EXISTS app_version Nullable(String)`,
      `ALTER TABLE ${db}.predictions
        ADD COLUMN IF NOT EXISTS app_version Nullable(String),
        ADD COLUMN IF NOT EXISTS topics Array(LowCardinality(String))`,
      `ALTER TABLE ${db}.shadow_predictions
        ADD COLUMN IF NOT EXISTS app_version Nullable(String),
        ADD COLUMN IF NOT EXISTS topics Array(LowCardinality(String))`,
    ],
  },
  {
    id: 16,
    name: 'alerts: one row per alert state change, the latest per alert_id wins',
    statements: (db) => [
      // alert_id is deterministic (app, kind, version, topic, window start), so a restart or a replay
      // rewrites the same rows and ReplacingMergeTree collapses them; read with FINAL.
      `CREATE TABLE IF NOT EXISTS ${db}.alerts (
        alert_id String,
        app_id LowCardinality(String),
        kind LowCardinality(String),
        app_version Nullable(String),
        window_start ${TS},
        window_end ${TS},
        topics Array(String),
        status LowCardinality(String),
        reason String,
        baseline_share Float64 DEFAULT 0,
        current_share Float64 DEFAULT 0,
        reviews UInt32 DEFAULT 0,
        statistic Float64 DEFAULT 0,
        opened_at ${TS},
        updated_at ${TS}
      ) ENGINE = ReplacingMergeTree(updated_at)
      PARTITION BY toYYYYMM(window_start)
      ORDER BY (app_id, kind, alert_id)`,
    ],
  },
];

export interface MigrationResult {
  applied: number[];
  skipped: number[];
}

export async function migrate(store: ClickHouseStore, migrations: Migration[] = MIGRATIONS): Promise<MigrationResult> {
  const db = store.database;
  await store.exec(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await store.exec(
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (id UInt32, name String, applied_at ${TS} DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY id`,
  );
  const done = new Set(
    (await store.query<{ id: number }>(`SELECT id FROM ${db}.schema_migrations FINAL`)).map((r) => Number(r.id)),
  );
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    if (done.has(m.id)) {
      result.skipped.push(m.id);
      continue;
    }
    for (const sql of m.statements(db)) {
      try {
        await store.exec(sql);
      } catch (err) {
        throw new UlasanError('MIGRATION_FAILED', `migration ${m.id} (${m.name}) failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    await store.insert('schema_migrations', [{ id: m.id, name: m.name }]);
    result.applied.push(m.id);
  }
  return result;
}

export const MIGRATED_TABLES = [
  'reviews',
  'predictions',
  'shadow_predictions',
  'review_features',
  'feedback',
  'drift_metrics',
  'retrain_events',
  'model_versions',
  'training_runs',
  'drift_windows',
  'late_records',
  'performance_windows',
  'backtest_predictions',
  'dead_letters',
  'drift_segment_windows',
  'drift_references',
  'admin_audit',
  'alerts',
];
