// Kafka ACLs derived from a processor's declared topology: it may read its inputs, write its
// outputs, and nothing else. Topic names are LITERAL (ulasan.reviews is a prefix of
// ulasan.reviews.scored, so a PREFIXED grant on one would cover the other); consumer groups and
// transactional ids are PREFIXED by the processor's own group prefix.
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
  type AclOperation,
  type AclResource,
  type Admin,
  type ResourcePattern,
} from './kafka.js';
import type { Topology } from '../host.js';
import type { TopicNames } from './topics.js';

export interface Grant {
  principal: string;
  topology: Pick<Topology, 'inputs' | 'outputs' | 'commit' | 'reads'>;
  /** Consumer groups and transactional ids this identity uses start with this. */
  groupPrefix: string;
}

/**
 * Throwaway groups (a random suffix each time) of the registry follower and of reads to the end of
 * a topic: any identity that reads outside its main consumer joins one. Knowing another's group
 * would need its UUID, and the topics they read are granted one by one.
 */
export const THROWAWAY_GROUP_PREFIXES = ['ulasan-registry-follower-', 'ulasan-reader-'] as const;

function allow(
  principal: string,
  resourceType: AclResource,
  resourceName: string,
  pattern: ResourcePattern,
  operation: AclOperation,
): AclEntry {
  return {
    principal,
    host: '*',
    resourceType,
    resourceName,
    resourcePatternType: pattern,
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/** Every ACL entry one identity needs, and no more. */
export function aclsFor(g: Grant, names: TopicNames): AclEntry[] {
  const p = `User:${g.principal}`;
  const topic = (key: keyof TopicNames, op: AclOperation) =>
    allow(p, AclResourceTypes.TOPIC, names[key], ResourcePatternTypes.LITERAL, op);
  const out: AclEntry[] = [];
  const reads = [...new Set([...g.topology.inputs, ...(g.topology.reads ?? [])])];
  for (const k of reads) out.push(topic(k, AclOperationTypes.READ), topic(k, AclOperationTypes.DESCRIBE));
  for (const k of g.topology.outputs) {
    out.push(topic(k, AclOperationTypes.WRITE));
    if (!reads.includes(k)) out.push(topic(k, AclOperationTypes.DESCRIBE));
  }
  const group = (prefix: string) =>
    allow(p, AclResourceTypes.GROUP, prefix, ResourcePatternTypes.PREFIXED, AclOperationTypes.READ);
  if (g.topology.inputs.length > 0) out.push(group(g.groupPrefix));
  if ((g.topology.reads ?? []).length > 0) out.push(...THROWAWAY_GROUP_PREFIXES.map(group));
  if (g.topology.commit === 'transaction') {
    for (const op of [AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE]) {
      out.push(allow(p, AclResourceTypes.TRANSACTIONAL_ID, g.groupPrefix, ResourcePatternTypes.PREFIXED, op));
    }
  }
  return out;
}

/**
 * Creates the ACLs with an admin (super user) client (creating an existing ACL is a no-op in Kafka)
 * and resolves once the broker shows them all: ACLs travel through the metadata log, and a client
 * started the moment createAcls returns can still be refused.
 */
export async function applyAcls(admin: Admin, grants: Grant[], names: TopicNames, timeoutMs = 30_000): Promise<number> {
  const acl = grants.flatMap((g) => aclsFor(g, names));
  if (acl.length === 0) return 0;
  await admin.createAcls({ acl });
  const key = (a: Omit<AclEntry, 'host' | 'permissionType'>) =>
    [a.principal, a.resourceType, a.resourceName, a.resourcePatternType, a.operation].join('\u0000');
  const wanted = acl.map(key);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { resources } = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const seen = new Set(resources.flatMap((r) => r.acls.map((a) => key({ ...r, ...a }))));
    if (wanted.every((k) => seen.has(k))) return acl.length;
    if (Date.now() > deadline) throw new Error(`ACLs not in effect ${timeoutMs} ms after they were created`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
