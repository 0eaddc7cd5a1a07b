// The first run registers the start-up package as version 1 in Production; any later run (a registry
// with any version of the model) changes nothing.
import { describe, expect, it } from 'vitest';
import type { ModelVersionEvent } from '../../../schemas/types.generated.js';
import { BOOTSTRAP_REASON, registerFirstVersion } from '../../../platform/registry/bootstrap.js';
import type { ModelRegistry } from '../../../platform/registry/registry.js';

function fakeRegistry(existing: ModelVersionEvent[] = []) {
  const events = [...existing];
  const calls: string[] = [];
  const event = (version: number, stage: ModelVersionEvent['stage']): ModelVersionEvent => ({
    name: 'm',
    version,
    stage,
    metrics: { accuracy: 0.85 },
    artifact_uri: 'file:///a',
    content_hash: 'h',
    run_id: null,
    reason: BOOTSTRAP_REASON,
    actor: 'bootstrap',
    timestamp: 1,
  });
  const registry = {
    refresh: async () => void calls.push('refresh'),
    state: { versions: (name: string) => events.filter((e) => e.name === name) },
    register: async () => {
      calls.push('register');
      events.push(event(1, 'Staging'));
      return { event: event(1, 'Staging'), created: true };
    },
    promote: async (_n: string, v: number) => {
      calls.push(`promote ${v}`);
      return [event(v, 'Production')];
    },
  } as unknown as ModelRegistry;
  return { registry, calls };
}

describe('first-run registration', () => {
  it('registers and promotes version 1 when the model has no version', async () => {
    const { registry, calls } = fakeRegistry();
    const v = await registerFirstVersion(registry, 'm', '/pkg');
    expect(v).toMatchObject({ version: 1, stage: 'Production', reason: BOOTSTRAP_REASON });
    expect(calls).toEqual(['refresh', 'register', 'promote 1']);
  });

  it('changes nothing when the model already has a version (a second run)', async () => {
    const { registry, calls } = fakeRegistry();
    await registerFirstVersion(registry, 'm', '/pkg');
    calls.length = 0;
    expect(await registerFirstVersion(registry, 'm', '/pkg')).toBeNull();
    expect(calls).toEqual(['refresh']);
  });
});
