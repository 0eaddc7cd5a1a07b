// Every processor declares its topology; the declarations must name real topics and tables, and
// together they show which topics nothing in Ulasan consumes (on purpose).
import { describe, expect, it } from 'vitest';
import { PROCESSORS, topologyTable } from '../../app/runner.js';
import { MIGRATED_TABLES } from '../../processors/kit/migrations.js';
import { TOPIC_KEYS } from '../../platform/kafka/topics.js';

const all = Object.values(PROCESSORS);

describe('processor topology', () => {
  it('names only catalogue topics and migrated tables', () => {
    for (const p of all) {
      for (const t of [...p.topology.inputs, ...p.topology.outputs]) expect(TOPIC_KEYS).toContain(t);
      for (const t of p.topology.tables) expect(MIGRATED_TABLES).toContain(t);
    }
  });

  it('every processor that reads records can dead-letter them', () => {
    for (const p of all.filter((x) => x.topology.commit !== 'none')) expect(p.topology.outputs).toContain('deadLetter');
  });

  it('leaves only the drift events and the gateway prediction log for consumers outside Ulasan', () => {
    const consumed = new Set(all.flatMap((p) => [...p.topology.inputs, ...(p.topology.reads ?? [])]));
    expect(TOPIC_KEYS.filter((t) => !consumed.has(t))).toEqual(['drift', 'predictionLog']);
    expect(topologyTable()).toHaveLength(all.length);
  });
});
