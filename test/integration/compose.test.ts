// docker-compose.yml must stay valid and safe by default. This machine has no Docker engine;
// Debian's docker-compose (1.29) validates and normalises the file offline. Provisioning paths it
// mounts must exist in the repo.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const SECRETS = {
  CLICKHOUSE_WRITER_PASSWORD: 'writer-password-for-the-test',
  CLICKHOUSE_READER_PASSWORD: 'reader-password-for-the-test',
  GRAFANA_ADMIN_PASSWORD: 'grafana-password-for-the-test',
  GATEWAY_TOKENS: 'ops:admin:' + 'ab'.repeat(32),
  KAFKA_CREDENTIALS: '/run/ulasan-test/kafka-credentials.json',
  SCRAPER_AUTHOR_SALT: 'a-test-salt-of-24-chars!',
};

function compose(args: string[], env: Record<string, string> = SECRETS) {
  // Only the variables given here: a developer's own .env or shell must not make the test pass.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in SECRETS)));
  delete clean.ULASAN_BIND_ADDRESS;
  return spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...clean, ...env },
  });
}

/** Each service's block of the normalised `docker-compose config` output. */
function services(normalised: string): Map<string, string> {
  const body = normalised.split(/^services:$/m)[1]!.split(/^\S/m)[0]!;
  const out = new Map<string, string>();
  for (const block of body.split(/^ {2}(?=[\w-]+:$)/m).filter((b) => b.trim())) {
    out.set(block.slice(0, block.indexOf(':')), block);
  }
  return out;
}

describe('docker-compose.yml', () => {
  it('passes docker-compose config -q with its secrets given', () => {
    const r = compose(['config', '-q']);
    expect(r.error, 'docker-compose is not installed (bash scripts/bootstrap.sh installs it)').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
  });

  it.each(Object.keys(SECRETS))('refuses to start without %s, naming it', (variable) => {
    const env: Record<string, string> = { ...SECRETS };
    delete env[variable];
    const r = compose(['config', '-q'], env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`set ${variable}`);
  });

  it('publishes only the gateway and Grafana, on 127.0.0.1 unless told otherwise', () => {
    const r = compose(['config']);
    expect(r.status, r.stderr).toBe(0);
    const byService = services(r.stdout);
    const published = [...byService].filter(([, block]) => /^ {4}ports:$/m.test(block)).map(([name]) => name);
    expect(published.sort()).toEqual(['gateway', 'grafana']);
    for (const name of published) {
      const after = byService.get(name)!.split(/^ {4}ports:$/m)[1]!;
      const ports = after.split(/^ {4}\w/m)[0]!.match(/^ {4}- (.+)$/gm) ?? [];
      expect(ports.length, name).toBeGreaterThan(0);
      for (const p of ports) expect(p.trim(), name).toMatch(/^- 127\.0\.0\.1:\d+:\d+/);
    }
    const wide = compose(['config'], { ...SECRETS, ULASAN_BIND_ADDRESS: '0.0.0.0' });
    expect(wide.stdout).toContain('0.0.0.0:8080:8080');
  });

  it('runs Kafka with SCRAM: users from the credentials file, ACLs provisioned, one identity per processor', () => {
    const byService = services(compose(['config']).stdout);
    expect(byService.get('kafka')).toMatch(/kafka-storage\.sh format[\s\S]*scram\[@\]/);
    expect(byService.get('kafka')).toMatch(/--command-config \/etc\/ulasan-kafka\/admin\.properties/);
    expect(byService.get('kafka')).toMatch(/condition: service_completed_successfully/);
    expect(byService.get('kafka-provision')).toMatch(/app\/provision\.ts/);
    for (const name of ['processors', 'gateway']) {
      const block = byService.get(name)!;
      expect(block, name).toMatch(/KAFKA_CREDENTIALS_FILE: \/etc\/ulasan-kafka-clients\/credentials\.json/);
      // The clients' volume holds every identity but the admin; the operator's file is not mounted.
      expect(block, name).not.toMatch(/kafka-credentials\.json/);
      expect(block, name).not.toMatch(/KAFKA_SASL_/);
    }
    expect(byService.get('kafka')).not.toMatch(/PLAINTEXT:\/\//);
  });

  it('has no default secrets, a login on Grafana, no registry deletion, and per-role ClickHouse users', () => {
    const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(text).not.toMatch(/:-(?:change-me|ulasan)\b/);
    const byService = services(compose(['config']).stdout);
    expect(byService.get('grafana')).toMatch(/GF_AUTH_ANONYMOUS_ENABLED: "false"/);
    expect(byService.get('grafana')).toMatch(/CLICKHOUSE_USER: ulasan_reader/);
    expect(byService.get('registry')).toMatch(/APICURIO_REST_DELETION_ARTIFACT_ENABLED: "false"/);
    expect(byService.get('gateway')).toMatch(/CLICKHOUSE_ROLE: reader/);
    expect(byService.get('gateway')).toMatch(/CLICKHOUSE_USER: ulasan_reader/);
    expect(byService.get('processors')).toMatch(/CLICKHOUSE_USER: ulasan_writer/);
    expect(byService.get('clickhouse')).toMatch(/users\.d\/ulasan-roles\.xml/);
    const roles = readFileSync(path.join(ROOT, 'deploy/clickhouse/users.d/ulasan-roles.xml'), 'utf8');
    expect(roles).toMatch(/<ulasan_reader>[\s\S]*<profile>ulasan_reader<\/profile>/);
    expect(roles).toMatch(/<ulasan_reader>\s*<readonly>1<\/readonly>/);
    expect(roles).not.toMatch(/<password>[^<]+<\/password>/);
  });

  it('mounts provisioning and dashboards that exist, and has a healthcheck on every service', () => {
    const r = compose(['config']);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const m of text.matchAll(/- \.\/([\w/.-]+):/g)) expect(existsSync(path.join(ROOT, m[1]!)), m[1]).toBe(true);
    const names = compose(['config', '--services']).stdout.trim().split('\n').sort();
    const oneShot = ['kafka-config', 'kafka-provision'];
    expect(names).toEqual(
      ['clickhouse', 'gateway', 'grafana', 'kafka', ...oneShot, 'processors', 'registry', 'registry-guard'].sort(),
    );
    // In the normalised output each service's keys sit at 4 spaces: a healthcheck per long-running
    // service; the one-shot init jobs run to completion instead (restart "no").
    const byService = services(r.stdout);
    for (const [name, block] of byService) {
      if (oneShot.includes(name)) expect(block, name).toMatch(/^ {4}restart: "?no"?$/m);
      else expect(block, name).toMatch(/^ {4}healthcheck:$/m);
    }
  });

  it('puts Apicurio on a private network behind its guard, which every client goes through', () => {
    const byService = services(compose(['config']).stdout);
    const networksOf = (name: string): string[] =>
      (byService.get(name)!.split(/^ {4}networks:$/m)[1] ?? '')
        .split(/^ {4}\w/m)[0]!
        .match(/^ {6}[\w-]+(?=:|$)/gm)
        ?.map((n) => n.trim()) ?? [];
    expect(networksOf('registry')).toEqual(['registry-private']);
    expect(networksOf('registry-guard').sort()).toEqual(['default', 'registry-private']);
    expect(byService.get('registry-guard')).toMatch(/stack\/registry-guard\.ts/);
    expect(byService.get('registry-guard')).toMatch(/REGISTRY_GUARD_UPSTREAM: http:\/\/registry:8080/);
    for (const name of ['processors', 'gateway', 'kafka-provision']) {
      expect(byService.get(name), name).toMatch(/SCHEMA_REGISTRY_URL: http:\/\/registry-guard:8081\/apis\/ccompat\/v7/);
      expect(networksOf(name), name).not.toContain('registry-private');
    }
    expect(compose(['config']).stdout).toMatch(/registry-private:\n\s+internal: true/);
  });
});
