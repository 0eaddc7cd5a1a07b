// The compose deployment's Kafka init step: the broker's SCRAM settings and users from the
// operator's credentials file, and a clients' file that holds every identity except the admin.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configure } from '../../deploy/kafka/configure.js';
import { kafkaCredentialsFile, newClusterId } from '../../stack/kafka-auth.js';

describe('compose Kafka configuration', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-kafka-config-'));
  const file = path.join(dir, 'credentials.json');
  const creds = kafkaCredentialsFile(file);

  it('writes SCRAM listeners, the authorizer, the users to format and a clients file without the admin', () => {
    configure(file, path.join(dir, 'broker'), path.join(dir, 'clients'));
    const props = readFileSync(path.join(dir, 'broker', 'server.properties'), 'utf8');
    expect(props).toMatch(/^listeners=SASL_PLAINTEXT:\/\/0\.0\.0\.0:9092,CONTROLLER:\/\/0\.0\.0\.0:9093$/m);
    expect(props).toMatch(/^advertised\.listeners=SASL_PLAINTEXT:\/\/kafka:9092$/m);
    expect(props).toMatch(/^authorizer\.class\.name=org\.apache\.kafka\.metadata\.authorizer\.StandardAuthorizer$/m);
    expect(props).toMatch(/^allow\.everyone\.if\.no\.acl\.found=false$/m);
    expect(props).not.toMatch(/(^|[=,])PLAINTEXT:\/\//m);
    const args = readFileSync(path.join(dir, 'broker', 'format-args'), 'utf8')
      .trim()
      .split('\n');
    expect(args.filter((a) => a === '--add-scram')).toHaveLength(Object.keys(creds.users).length);
    expect(args).toContain(`SCRAM-SHA-512=[name=ulasan-scoring,password=${creds.users['ulasan-scoring'].password}]`);
    const clients = JSON.parse(readFileSync(path.join(dir, 'clients', 'credentials.json'), 'utf8'));
    expect(Object.keys(clients.users)).not.toContain('ulasan-admin');
    expect(clients.users['ulasan-scoring']).toEqual(creds.users['ulasan-scoring']);
    expect(JSON.stringify(clients)).not.toContain(creds.users['ulasan-admin'].password);
    expect(JSON.stringify(clients)).not.toContain(creds.controller.password);
    const clusterId = readFileSync(path.join(dir, 'broker', 'cluster-id'), 'utf8');
    configure(file, path.join(dir, 'broker'), path.join(dir, 'clients'));
    expect(readFileSync(path.join(dir, 'broker', 'cluster-id'), 'utf8')).toBe(clusterId);
  });

  it('refuses a missing credentials file, saying how to make one', () => {
    expect(() => configure(path.join(dir, 'nope.json'), path.join(dir, 'b2'), path.join(dir, 'c2'))).toThrow(
      /npm run kafka:credentials/,
    );
    expect(existsSync(path.join(dir, 'b2'))).toBe(false);
  });

  it('makes cluster ids the storage tool cannot take for an option (never a leading -)', () => {
    const ids = Array.from({ length: 5000 }, () => newClusterId());
    expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
  });
});

describe('identities added after a stack was made (the scraper)', () => {
  it('adds a missing identity to an existing credentials file and keeps the others', async () => {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const { KAFKA_IDENTITIES } = await import('../../stack/kafka-auth.js');
    const { layoutFor, missingScramUsers, markScramUsers } = await import('../../stack/services.js');
    const root = mkdtempSync(path.join(tmpdir(), 'ulasan-identities-'));
    const file = path.join(root, '.stack', 'kafka', 'credentials.json');
    mkdirSync(path.dirname(file), { recursive: true });
    const old = kafkaCredentialsFile(file);
    const { ['ulasan-scraper']: _scraper, ...before } = old.users;
    writeFileSync(file, JSON.stringify({ ...old, users: before }));
    const again = kafkaCredentialsFile(file);
    expect(Object.keys(again.users).sort()).toEqual([...KAFKA_IDENTITIES].sort());
    expect(again.users['ulasan-admin']).toEqual(old.users['ulasan-admin']);
    expect(JSON.parse(readFileSync(file, 'utf8')).users['ulasan-scraper']).toEqual(again.users['ulasan-scraper']);
    // A data directory formatted before the marker existed lacks exactly the scraper; after marking, nothing.
    const previous = process.env.ULASAN_STACK_DIR;
    process.env.ULASAN_STACK_DIR = path.join(root, '.stack');
    try {
      const layout = layoutFor(root);
      expect(missingScramUsers(layout)).toEqual(['ulasan-scraper']);
      markScramUsers(layout);
      expect(missingScramUsers(layout)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.ULASAN_STACK_DIR;
      else process.env.ULASAN_STACK_DIR = previous;
    }
  });
});
