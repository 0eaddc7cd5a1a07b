// Per-stage CPU from a sampling profile of the main thread: which stage a sample belongs to is read
// from its stack (the innermost frame that a stage rule claims). Used by the processor benchmarks,
// whose processors have no stage timers of their own: the same run gives the rate, the process CPU
// and where the main thread spent it. Threads other than the main one (chdb's engine, libuv, GC
// helpers) are not sampled; they are the process CPU minus the main thread's busy samples.
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A stage and the frames it claims: a url fragment or a function name (checked innermost first). */
export interface StageRule {
  stage: string;
  urls?: string[];
  functions?: string[];
}

export class MainThreadProfiler {
  private readonly session = new Session();

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    // 1 ms: coarse enough to keep the profiler's own cost small, fine enough for N >= 20,000 records.
    await this.session.post('Profiler.setSamplingInterval', { interval: 1000 });
    await this.session.post('Profiler.start');
  }

  /** Microseconds of main-thread samples per stage (idle left out), plus 'main thread busy'. */
  async stop(rules: StageRule[]): Promise<Map<string, number>> {
    return attribute(await this.stopRaw(), rules);
  }

  /** The raw profile, for callers that rank functions themselves (selfTimes). */
  async stopRaw(): Promise<Profile> {
    const { profile } = (await this.session.post('Profiler.stop')) as { profile: Profile };
    this.session.disconnect();
    return profile;
  }
}

/** Main-thread self time per function (`name file:line`, idle left out), largest first. */
export function selfTimes(p: Profile, top = 25): { fn: string; us: number }[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const { functionName, url } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') return;
    const where = url ? ` ${url.replace(/^.*\/(node_modules\/)?/, '')}` : '';
    const key = `${functionName || '(anonymous)'}${where}`;
    out.set(key, (out.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  return [...out]
    .map(([fn, us]) => ({ fn, us }))
    .sort((a, b) => b.us - a.us)
    .slice(0, top);
}

function attribute(p: Profile, rules: StageRule[]): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const stageOf = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    const n = byId.get(id)!;
    const { url, functionName } = n.callFrame;
    const rule = rules.find(
      (r) => r.urls?.some((u) => url.includes(u)) || r.functions?.some((f) => f === functionName),
    );
    const up = parent.get(id);
    const stage = rule ? rule.stage : up === undefined ? 'other' : stageOf(up);
    memo.set(id, stage);
    return stage;
  };
  const out = new Map<string, number>();
  let busy = 0;
  p.samples.forEach((id, i) => {
    const fn = byId.get(id)!.callFrame.functionName;
    if (fn === '(idle)') return;
    const us = p.timeDeltas[i] ?? 0;
    busy += us;
    const stage = fn === '(garbage collector)' ? 'garbage collection' : stageOf(id);
    out.set(stage, (out.get(stage) ?? 0) + us);
  });
  out.set('main thread busy', busy);
  return out;
}
