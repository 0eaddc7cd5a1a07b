import { describe, expect, it } from 'vitest';
import { CATALOGUE, TOPIC_KEYS, allTopics, topicNames, valueSubject } from '../../platform/kafka/topics.js';
import { listSchemaFiles } from '../../platform/serde/schemas.js';

describe('topic catalogue', () => {
  it('prefixes every topic name', () => {
    const names = topicNames('t-1.');
    for (const k of TOPIC_KEYS) expect(names[k].startsWith('t-1.ulasan.')).toBe(true);
    expect(new Set(Object.values(names)).size).toBe(TOPIC_KEYS.length);
  });

  it('compacts the model registry and trigger state, deletes the rest by retention', () => {
    const specs = allTopics();
    const compacted = specs.filter((s) => s.config['cleanup.policy'] === 'compact').map((s) => s.key);
    expect(compacted.sort()).toEqual(['registry', 'scrapeCursors', 'triggerState']);
    for (const s of specs.filter((x) => x.config['cleanup.policy'] === 'delete')) {
      expect(Number(s.config['retention.ms'])).toBeGreaterThan(0);
    }
  });

  it('names an existing schema file for every topic', () => {
    const files = new Set(listSchemaFiles());
    for (const k of TOPIC_KEYS) expect(files.has(CATALOGUE[k].schema)).toBe(true);
  });

  it('uses TopicNameStrategy subjects', () => {
    expect(valueSubject('ulasan.reviews')).toBe('ulasan.reviews-value');
  });
});
