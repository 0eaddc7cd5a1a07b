import { describe, expect, it } from 'vitest';
import { parseConfig, z } from '../../processors/shared/config.js';
import { ConfigError, ERROR_CODES, ERROR_INFO } from '../../processors/shared/errors.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('gives development defaults for the local stack', () => {
    const c = parseConfig({}, {});
    expect(c.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(c.SCHEMA_REGISTRY_URL).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(c.CLICKHOUSE_URL).toBeUndefined();
    expect(c.METRICS_PORT).toBe(9464);
  });

  it('parses broker lists and ports', () => {
    const c = parseConfig({}, { KAFKA_BROKERS: 'a:9092, b.example:19092', METRICS_PORT: '0' });
    expect(c.KAFKA_BROKERS).toEqual(['a:9092', 'b.example:19092']);
    expect(c.METRICS_PORT).toBe(0);
  });

  it('names every invalid variable at once', () => {
    const err = configError(() =>
      parseConfig({}, { METRICS_PORT: 'abc', KAFKA_BROKERS: 'nohostport', CLICKHOUSE_URL: 'not a url' }),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.variables.sort()).toEqual(['CLICKHOUSE_URL', 'KAFKA_BROKERS', 'METRICS_PORT']);
    expect(err.message).toMatch(/METRICS_PORT/);
  });

  it('requires explicit service addresses in production', () => {
    const err = configError(() => parseConfig({}, { ULASAN_ENV: 'production', SCHEMA_REGISTRY_URL: 'http://r:8081' }));
    expect(err.variables.sort()).toEqual(['CLICKHOUSE_URL', 'KAFKA_BROKERS']);
    expect(err.message).toMatch(/KAFKA_BROKERS: is required when ULASAN_ENV=production/);
  });

  it('validates a processor-specific variable and reports a missing required one', () => {
    const shape = { MY_GROUP: z.string().min(1), MY_BATCH: z.coerce.number().int().positive().default(10) };
    const err = configError(() => parseConfig(shape, { MY_BATCH: '-1' }));
    expect(err.variables.sort()).toEqual(['MY_BATCH', 'MY_GROUP']);
    expect(err.message).toMatch(/MY_GROUP: is required/);
    expect(parseConfig(shape, { MY_GROUP: 'g' }).MY_BATCH).toBe(10);
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig({}, { METRICS_PORT: '' }).METRICS_PORT).toBe(9464);
  });
});

describe('error registry', () => {
  it('describes every code with a status and retriable flag', () => {
    for (const code of ERROR_CODES) {
      expect(ERROR_INFO[code].status).toBeGreaterThanOrEqual(400);
      expect(typeof ERROR_INFO[code].retriable).toBe('boolean');
    }
  });
});
