// The training launcher on the real stack, fed RetrainRequests straight from Kafka (no gateway in
// front) that name data outside its allowed roots or a file that is not a manifest: each run fails,
// and its reason on the training-runs topic names the problem without a byte of the file (issue 30,
// probe finding 3: the reason used to carry `not JSON (Unexpected token 'r', "root:x:0:0"...)`).
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessors, type Running } from '../../app/runner.js';
import type { TrainingRun } from '../../schemas/types.generated.js';
import { ROOT, freshDir, sendRetrainRequest, stackAddresses, stopAndDeleteTopics, trainingRuns } from '../helpers.js';
import { uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const SECRET = 'root:x:0:0:root:/root:/bin/bash';
const manifestDir = freshDir('launcher-roots');
const outside = freshDir('launcher-outside');
let running: Running;

beforeAll(async () => {
  copyFileSync(path.join(ROOT, 'models', 'manifests', 'default.json'), path.join(manifestDir, 'default.json'));
  writeFileSync(path.join(manifestDir, 'passwd.json'), `${SECRET}\n`);
  writeFileSync(path.join(outside, 'passwd'), `${SECRET}\n`);
  running = await runProcessors(
    ['training-launcher'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      ULASAN_TOPIC_PREFIX: prefix,
      CHDB_PATH: freshDir('launcher-dp'),
      ULASAN_ARTIFACT_DIR: freshDir('launcher-dp-artifacts'),
      LAUNCHER_GROUP: `${prefix}launcher`,
      LAUNCHER_WORK_DIR: freshDir('launcher-dp-runs'),
      LAUNCHER_MANIFEST: path.join(manifestDir, 'default.json'),
      LOG_LEVEL: 'error',
    },
    { opsServer: false },
  );
}, 180_000);

afterAll(async () => {
  await stopAndDeleteTopics(running);
});

describe('training launcher data paths', () => {
  it('fails runs whose manifest lies outside the roots or is not JSON, with reasons free of file content', async () => {
    const requests = {
      [`${prefix}outside`]: path.join(outside, 'passwd'),
      [`${prefix}climb`]: '../../../../../../etc/passwd',
      [`${prefix}notjson`]: path.join(manifestDir, 'passwd.json'),
    };
    // One at a time: requests that arrive while a run is going are coalesced into the next run.
    const outcomes = new Map<string, TrainingRun>();
    for (const [id, manifest] of Object.entries(requests)) {
      await sendRetrainRequest(running.ctx, id, { manifest });
      const done = async () =>
        (await trainingRuns(running.ctx)).find((r) => r.request_id === id && r.status !== 'started');
      outcomes.set(id, await waitFor(done, 60_000, `the run of ${id}`));
    }
    for (const id of Object.keys(requests)) {
      const run = outcomes.get(id)!;
      expect(run.status, id).toBe('failed');
      expect(run.reason, id).not.toMatch(/root:x|\/bin\/bash|Unexpected token/);
    }
    expect(outcomes.get(`${prefix}outside`)!.reason).toMatch(/^manifest: .*passwd must lie inside /);
    expect(outcomes.get(`${prefix}climb`)!.reason).toMatch(/^manifest: \.\.\/.* must lie inside /);
    expect(outcomes.get(`${prefix}notjson`)!.reason).toBe(
      `${path.join(manifestDir, 'passwd.json')}: not a JSON document (a data manifest is JSON)`,
    );
  });
});
