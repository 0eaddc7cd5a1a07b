// The first run of a deployment registers its start-up package as version 1 and promotes it, so the
// registry, the status page and rollback have something to act on from the first minute. Only when
// the model has no version at all: a second run (or any registry with history) changes nothing.
import type { ModelVersionEvent } from '../../schemas/types.generated.js';
import type { ModelRegistry } from './registry.js';

export const BOOTSTRAP_REASON = 'first run: the start-up package';

export async function registerFirstVersion(
  registry: ModelRegistry,
  name: string,
  packageDir: string,
): Promise<ModelVersionEvent | null> {
  await registry.refresh();
  if (registry.state.versions(name).length > 0) return null;
  const { event } = await registry.register({
    name,
    packageDir,
    runId: null,
    reason: BOOTSTRAP_REASON,
    actor: 'bootstrap',
  });
  return (await registry.promote(name, event.version, BOOTSTRAP_REASON, 'bootstrap')).at(-1) ?? event;
}
