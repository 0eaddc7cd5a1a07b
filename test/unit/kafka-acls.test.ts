// ACLs from a declared topology: read inputs, write outputs, LITERAL topic names only.
import {
  AclOperationTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclResource,
} from '../../platform/kafka/kafka.js';
import { describe, expect, it } from 'vitest';
import { aclsFor } from '../../platform/kafka/acls.js';
import { topicNames } from '../../platform/kafka/topics.js';

describe('aclsFor', () => {
  const names = topicNames('');
  const acls = aclsFor(
    {
      principal: 'ulasan-scoring',
      topology: { inputs: ['reviews'], outputs: ['scored', 'deadLetter'], commit: 'transaction' },
      groupPrefix: 'ulasan-scoring',
    },
    names,
  );
  const on = (type: AclResource, name: string) =>
    acls.filter((a) => a.resourceType === type && a.resourceName === name).map((a) => a.operation);

  it('grants read on inputs and write on outputs, each by its literal name', () => {
    expect(on(AclResourceTypes.TOPIC, 'ulasan.reviews').sort()).toEqual(
      [AclOperationTypes.READ, AclOperationTypes.DESCRIBE].sort(),
    );
    expect(on(AclResourceTypes.TOPIC, 'ulasan.reviews.scored').sort()).toEqual(
      [AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE].sort(),
    );
    const topics = acls.filter((a) => a.resourceType === AclResourceTypes.TOPIC);
    expect(topics.every((a) => a.resourcePatternType === ResourcePatternTypes.LITERAL)).toBe(true);
    expect(new Set(topics.map((a) => a.resourceName))).toEqual(
      new Set(['ulasan.reviews', 'ulasan.reviews.scored', 'ulasan.dead-letter']),
    );
    expect(acls.every((a) => a.principal === 'User:ulasan-scoring')).toBe(true);
  });

  it('grants its own group and transactional-id prefix, nothing on other topics', () => {
    expect(on(AclResourceTypes.GROUP, 'ulasan-scoring')).toEqual([AclOperationTypes.READ]);
    expect(on(AclResourceTypes.TRANSACTIONAL_ID, 'ulasan-scoring').length).toBe(2);
    expect(on(AclResourceTypes.TOPIC, 'ulasan.feedback')).toEqual([]);
  });
});

describe('identities and grants of every processor', () => {
  it('has a stack identity for every processor and the producer, and a grant for each', async () => {
    const { PROCESSORS } = await import('../../app/runner.js');
    const { kafkaGrants, PRODUCER_IDENTITY } = await import('../../app/provision.js');
    const { KAFKA_IDENTITIES } = await import('../../stack/kafka-auth.js');
    const { identityOf } = await import('../../processors/kit/context.js');
    const wanted = [...Object.keys(PROCESSORS).map(identityOf), PRODUCER_IDENTITY];
    expect([...KAFKA_IDENTITIES].sort()).toEqual(['ulasan-admin', ...wanted].sort());
    expect(
      kafkaGrants()
        .map((g) => g.principal)
        .sort(),
    ).toEqual(wanted.sort());
  });

  it('grants a follower of the registry read on it and on the throwaway groups, but not write', () => {
    const acls = aclsFor(
      {
        principal: 'ulasan-scoring',
        topology: { inputs: ['reviews'], outputs: ['scored'], reads: ['registry'], commit: 'transaction' },
        groupPrefix: 'ulasan-scoring',
      },
      topicNames(''),
    );
    const registry = acls.filter((a) => a.resourceName === topicNames('').registry).map((a) => a.operation);
    expect(registry.sort()).toEqual([AclOperationTypes.READ, AclOperationTypes.DESCRIBE].sort());
    const groups = acls.filter((a) => a.resourceType === AclResourceTypes.GROUP).map((a) => a.resourceName);
    expect(groups.sort()).toEqual(['ulasan-reader-', 'ulasan-registry-follower-', 'ulasan-scoring']);
  });
});
