/** A Config for a Sentinel polling one simulator, shared by the resilience tests and the benches. */
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

export interface PollSettings {
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly staleAfterMs?: number;
  readonly jitter?: number;
}

export const SIM_CLUSTER = 'sim';

export function sentinelConfig(url: string, poll: PollSettings = {}): Config {
  const base = loadConfig({
    argv: [
      '--connect.url',
      url,
      '--connect.name',
      SIM_CLUSTER,
      '--web.listen-address',
      '127.0.0.1:0',
      '--log.level',
      'silent',
    ],
    env: {},
  });
  // Set directly: the soak polls faster than the loader's 100 ms minimum allows.
  const intervalMs = poll.intervalMs ?? 100;
  return {
    ...base,
    poll: {
      intervalMs,
      timeoutMs: poll.timeoutMs ?? 500,
      staleAfterMs: poll.staleAfterMs ?? 3 * intervalMs,
      jitter: poll.jitter ?? 0,
    },
  };
}
