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
  type Admin,
} from 'kafkajs';
import type { Topology } from './kit.js';
import type { TopicNames } from './topics.js';

export interface Grant {
  principal: string;
  topology: Pick<Topology, 'inputs' | 'outputs' | 'commit'>;
  /** Consumer groups and transactional ids this identity uses start with this. */
  groupPrefix: string;
}

function allow(
  principal: string,
  resourceType: AclResourceTypes,
  resourceName: string,
  pattern: ResourcePatternTypes,
  operation: AclOperationTypes,
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
  const topic = (key: keyof TopicNames, op: AclOperationTypes) =>
    allow(p, AclResourceTypes.TOPIC, names[key], ResourcePatternTypes.LITERAL, op);
  const out: AclEntry[] = [];
  for (const k of g.topology.inputs) out.push(topic(k, AclOperationTypes.READ), topic(k, AclOperationTypes.DESCRIBE));
  for (const k of g.topology.outputs) out.push(topic(k, AclOperationTypes.WRITE), topic(k, AclOperationTypes.DESCRIBE));
  if (g.topology.inputs.length > 0) {
    out.push(allow(p, AclResourceTypes.GROUP, g.groupPrefix, ResourcePatternTypes.PREFIXED, AclOperationTypes.READ));
  }
  if (g.topology.commit === 'transaction') {
    for (const op of [AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE]) {
      out.push(allow(p, AclResourceTypes.TRANSACTIONAL_ID, g.groupPrefix, ResourcePatternTypes.PREFIXED, op));
    }
  }
  return out;
}

/** Creates the ACLs with an admin (super user) client; creating an existing ACL is a no-op in Kafka. */
export async function applyAcls(admin: Admin, grants: Grant[], names: TopicNames): Promise<number> {
  const acl = grants.flatMap((g) => aclsFor(g, names));
  if (acl.length > 0) await admin.createAcls({ acl });
  return acl.length;
}
