import { describe, expect, it } from 'vitest';
import { parseConfig, z } from '../../platform/config.js';
import { parseGatewayConfig } from '../../gateway/config.js';
import { hashToken, newToken } from '../../gateway/auth.js';
import { ConfigError, ERROR_CODES, ERROR_INFO } from '../../platform/errors.js';

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
    expect(err.variables.sort()).toEqual([
      'CLICKHOUSE_PASSWORD',
      'CLICKHOUSE_URL',
      'KAFKA_BROKERS',
      'KAFKA_SASL_USERNAME',
    ]);
    expect(err.message).toMatch(/KAFKA_BROKERS: is required when ULASAN_ENV=production/);
  });

  const production = {
    ULASAN_ENV: 'production',
    KAFKA_BROKERS: 'kafka:9092',
    SCHEMA_REGISTRY_URL: 'http://registry:8080/apis/ccompat/v7',
    CLICKHOUSE_URL: 'http://clickhouse:8123',
    CLICKHOUSE_PASSWORD: 'a-long-and-unguessable-one',
    KAFKA_CREDENTIALS_FILE: '/etc/ulasan-kafka-clients/credentials.json',
  };

  it('refuses production without a Kafka identity (Kafka runs with SASL/SCRAM), naming both ways', () => {
    const { KAFKA_CREDENTIALS_FILE: _file, ...anonymous } = production;
    const err = configError(() => parseConfig({}, anonymous));
    expect(err.variables).toEqual(['KAFKA_SASL_USERNAME']);
    expect(err.message).toMatch(/KAFKA_SASL_USERNAME: or KAFKA_CREDENTIALS_FILE is required/);
    const withUser = { ...anonymous, KAFKA_SASL_USERNAME: 'ulasan-producer', KAFKA_SASL_PASSWORD: 'x'.repeat(24) };
    expect(parseConfig({}, withUser).KAFKA_SASL_USERNAME).toBe('ulasan-producer');
  });

  it.each([
    ['missing', undefined, /CLICKHOUSE_PASSWORD: is required/],
    ['short', 'tiny-pw', /CLICKHOUSE_PASSWORD: must be at least 12 characters/],
    ['a known default', 'ulasan-ulasan-ulasan', /CLICKHOUSE_PASSWORD: is a well-known default/],
  ])('refuses a %s ClickHouse password in production, naming the variable', (_, pw, message) => {
    const err = configError(() => parseConfig({}, { ...production, CLICKHOUSE_PASSWORD: pw }));
    expect(err.variables).toEqual(['CLICKHOUSE_PASSWORD']);
    expect(err.message).toMatch(message);
  });

  it('gateway: production needs GATEWAY_TOKENS; known-default, malformed and plain tokens are refused', () => {
    expect(configError(() => parseGatewayConfig(production)).variables).toEqual(['GATEWAY_TOKENS']);
    const known = configError(() =>
      parseGatewayConfig({ ...production, GATEWAY_TOKENS: `ops:admin:${hashToken('change-me-please-0000')}` }),
    );
    expect(known.message).toMatch(/GATEWAY_TOKENS: entry 1 \(ops\) is the hash of a well-known default token/);
    const malformed = configError(() =>
      parseGatewayConfig({ ...production, GATEWAY_TOKENS: 'ops:admin:short,x:boss:' + 'a'.repeat(64) }),
    );
    expect(malformed.message).toMatch(/entry 1 \(ops\) must carry the token's sha256/);
    expect(malformed.message).toMatch(/entry 2 \(x\) has role "boss"/);
    const plain = configError(() =>
      parseGatewayConfig({
        ...production,
        GATEWAY_TOKENS: newToken('a', 'read').entry,
        GATEWAY_ADMIN_TOKEN: 'x'.repeat(30),
      }),
    );
    expect(plain.variables).toEqual(['GATEWAY_ADMIN_TOKEN']);
    expect(plain.message).toMatch(/GATEWAY_TOKENS/);
    const ok = parseGatewayConfig({ ...production, GATEWAY_TOKENS: newToken('ops', 'admin').entry });
    expect(ok.GATEWAY_HOST).toBe('127.0.0.1');
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
