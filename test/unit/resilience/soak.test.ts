/**
 * A bounded soak: hundreds of polls a few milliseconds apart while connectors churn, change state and the
 * API fails at random. Afterwards the series are exactly the live connectors' and the heap has not grown.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { CONNECTOR_STATES, TASK_STATES } from '../../../src/connect/types.js';
import { SAMPLE_TRACE, startConnectSimulator, type Fault } from '../../sim/connect-simulator.js';
import { samplesOf } from '../../sim/exposition-parser.js';
import { startSentinel, view } from './harness.js';

const TARGET_POLLS = 800;
const TIME_LIMIT_MS = 60_000;
const WARMUP_POLLS = 200;

/** A full GC when the flag can be set at run time; undefined otherwise (the threshold is then looser). */
function gcFunction(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function heapAfterGc(gc: (() => void) | undefined): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** Deterministic, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it(
  'survives hundreds of fast polls with churn and random faults, then shows exactly the live connectors',
  async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => {
      unhandled.push(err);
    };
    process.on('unhandledRejection', onUnhandled);
    const gc = gcFunction();
    const random = rng(9);
    const sim = await startConnectSimulator({ connectors: 40, tasksPerConnector: 2 });
    const app = await startSentinel(sim, { intervalMs: 2, timeoutMs: 25, staleAfterMs: 10, jitter: 0.5 });
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const faults: (Fault | undefined)[] = [
      undefined,
      undefined,
      undefined,
      { kind: 'churn', perList: 1 },
      { kind: 'churn', perList: 5 },
      { kind: 'error' },
      { kind: 'rebalance' },
      { kind: 'malformed' },
      { kind: 'cutoff' },
      { kind: 'unauthorized' },
      { kind: 'timeout' },
      { kind: 'latency', ms: 5 },
      { kind: 'latency', ms: 40 },
      { kind: 'vanishing' },
      { kind: 'error', only: ['root'] },
    ];
    const seenFaults = new Set<string>();
    let upSeen = 0;
    let downSeen = 0;
    let heapWarm = 0;
    const started = Date.now();
    try {
      while (app.polls() < TARGET_POLLS && Date.now() - started < TIME_LIMIT_MS) {
        const fault = pick(faults);
        sim.setFault(fault);
        seenFaults.add(fault?.kind ?? 'none');
        // Connectors change under the poller: states, traces, deletions, creations.
        for (let i = 0; i < 3; i++) {
          const names = sim.names();
          const name = pick(names);
          const r = random();
          if (r < 0.4)
            sim.setConnectorState(
              name,
              pick([...CONNECTOR_STATES, 'BRAND_NEW']),
              r < 0.2 ? SAMPLE_TRACE : undefined,
            );
          else if (r < 0.8) {
            const tasks = sim.connector(name)?.tasks ?? [];
            if (tasks.length > 0)
              sim.setTaskState(name, Math.floor(random() * tasks.length), pick(TASK_STATES), SAMPLE_TRACE);
          } else if (r < 0.9 && names.length > 20) sim.deleteConnector(name);
          else sim.addConnector({ name: `added-${app.polls()}-${i}`, tasks: 1 + Math.floor(random() * 4) });
        }
        await app.nextPolls(1 + Math.floor(random() * 8), 15_000);
        const families = await app.metrics(); // must parse strictly every time
        const up = view(families).up;
        if (up === 1) upSeen++;
        else if (up === 0) downSeen++;
        if (heapWarm === 0 && app.polls() >= WARMUP_POLLS) heapWarm = heapAfterGc(gc);
      }
      const polls = app.polls();

      sim.setFault(undefined);
      for (const name of sim.names()) sim.setConnectorState(name, 'RUNNING');
      await app.nextPolls(3);
      const families = await app.metrics();
      const v = view(families);
      const heapEnd = heapAfterGc(gc);
      const elapsed = Date.now() - started;
      console.log(
        `soak: ${polls} polls in ${(elapsed / 1000).toFixed(1)} s; scrapes with up=1: ${upSeen}, up=0: ${downSeen}; ` +
          `heap after GC ${(heapWarm / 2 ** 20).toFixed(1)} MB at poll ${WARMUP_POLLS} → ${(heapEnd / 2 ** 20).toFixed(1)} MB ` +
          `(gc ${gc ? 'forced' : 'not available'}); ${sim.names().length} connectors live`,
      );

      expect(unhandled).toEqual([]);
      expect(polls).toBeGreaterThanOrEqual(WARMUP_POLLS * 2); // the soak really soaked
      expect(upSeen).toBeGreaterThan(0);
      expect(downSeen).toBeGreaterThan(0);
      expect(seenFaults.size).toBeGreaterThanOrEqual(8);

      expect(v.up).toBe(1);
      expect(v.connectors).toEqual(sim.names());
      expect(v.taskStates).toBe(sim.taskCount());
      expect(samplesOf(families, 'kafka_connect_connector_state')).toHaveLength(sim.names().length);
      expect(samplesOf(families, 'kafka_connect_connector_failures_total')).toHaveLength(sim.names().length);
      expect(samplesOf(families, 'kafka_connect_task_failures_total')).toHaveLength(sim.taskCount());
      expect(samplesOf(families, 'kafka_connect_task_info')).toHaveLength(sim.taskCount());

      // Connectors come and go and the live set differs a little; a leak of per-poll garbage would be far larger.
      const allowed = Math.max(8 * 2 ** 20, heapWarm * (gc ? 0.25 : 0.6));
      expect(heapEnd - heapWarm).toBeLessThan(allowed);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await app.stop();
      await sim.close();
    }
  },
  TIME_LIMIT_MS + 40_000,
);
