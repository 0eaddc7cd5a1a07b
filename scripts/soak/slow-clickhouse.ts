// Test-only preload for the soak's processors process (node --import): while the file named by
// SOAK_SLOW_CLICKHOUSE_FILE exists, every embedded-ClickHouse insert and query first waits the number
// of milliseconds written in it. A slow ClickHouse, honestly: the processors' own calls are delayed,
// in their own process, and nothing else changes. Never loaded outside scripts/soak.ts.
import { existsSync, readFileSync } from 'node:fs';
import { ChdbStore } from '../../platform/clickhouse/chdb.js';

const flag = process.env.SOAK_SLOW_CLICKHOUSE_FILE;

function delayMs(): number {
  if (!flag || !existsSync(flag)) return 0;
  const n = Number(readFileSync(flag, 'utf8').trim());
  return Number.isFinite(n) && n > 0 ? n : 0;
}

type Method = 'insert' | 'query' | 'exec';
for (const name of ['insert', 'query', 'exec'] as Method[]) {
  const original = ChdbStore.prototype[name] as (...args: unknown[]) => Promise<unknown>;
  (ChdbStore.prototype as unknown as Record<Method, unknown>)[name] = async function (
    this: ChdbStore,
    ...args: unknown[]
  ): Promise<unknown> {
    const ms = delayMs();
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    return original.apply(this, args);
  };
}
