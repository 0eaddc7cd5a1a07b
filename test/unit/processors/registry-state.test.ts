import { describe, expect, it } from 'vitest';
import { RegistryState } from '../../../platform/registry/state.js';
import type { ModelStage, ModelVersionEvent } from '../../../schemas/types.generated.js';

const ev = (version: number, stage: ModelStage, timestamp: number): ModelVersionEvent => ({
  name: 'm',
  version,
  stage,
  metrics: {},
  artifact_uri: `/a/${version}`,
  content_hash: `h${version}`,
  run_id: null,
  reason: '',
  actor: 't',
  timestamp,
});

describe('RegistryState', () => {
  const s = new RegistryState();
  [
    ev(1, 'Staging', 1),
    ev(2, 'Staging', 2),
    ev(1, 'Production', 3),
    ev(1, 'Archived', 4),
    ev(2, 'Production', 5),
  ].forEach((e) => s.apply(e));
  it('tracks the newest stage of each version', () => {
    expect(s.versions('m').map((v) => `${v.version}:${v.stage}`)).toEqual(['1:Archived', '2:Production']);
    expect(s.production('m')?.version).toBe(2);
    expect(s.nextVersion('m')).toBe(3);
    expect(s.findByHash('m', 'h1')?.version).toBe(1);
  });
  it('knows the previous Production for a rollback', () => expect(s.previousProduction('m')?.version).toBe(1));
});

describe('RegistryState.current (what the scorers follow)', () => {
  it('follows the most recent Production and Staging', () => {
    const b = new RegistryState();
    [ev(1, 'Production', 1), ev(2, 'Staging', 2)].forEach((e) => b.apply(e));
    expect(b.current('m', 'Production')?.version).toBe(1);
    expect(b.current('m', 'Staging')?.version).toBe(2);
    b.apply(ev(2, 'Production', 3));
    b.apply(ev(1, 'Archived', 3));
    expect(b.current('m', 'Production')?.version).toBe(2);
    expect(b.current('m', 'Staging')).toBeNull();
  });
});
