/** Starts a real connect-sentinel in-process (config from flags, as a user gives them) for tests. */
import { Sentinel, type SentinelOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { parseExposition, type Sample } from './exposition.js';

export interface TestSentinel {
  readonly sentinel: Sentinel;
  readonly url: string;
  metricsText(): Promise<string>;
  metrics(): Promise<Sample[]>;
  status(): Promise<StatusJson>;
  /** Polls /metrics until `check` returns true; throws with the last text on timeout. */
  waitForMetrics(check: (s: Sample[]) => boolean, timeoutMs?: number, what?: string): Promise<Sample[]>;
  stop(): Promise<void>;
}

export interface StatusJson {
  clusters: {
    name: string;
    connect: {
      up: boolean;
      error: string | null;
      requests: number;
      expanded: boolean;
      version: string | null;
    };
    connectors: {
      name: string;
      state: string;
      type: string;
      class: string;
      workerId: string;
      trace: string | null;
      tasks: { id: number; state: string; workerId: string; trace: string | null }[];
    }[];
  }[];
}

export async function startSentinel(
  argv: string[],
  options: SentinelOptions = {},
  env: Record<string, string> = {},
): Promise<TestSentinel> {
  const config = loadConfig({
    argv: ['--web.listen-address', '127.0.0.1:0', '--poll.interval', '500ms', '--poll.jitter', '0', ...argv],
    env,
  });
  const sentinel = new Sentinel(config, silentLogger(), options);
  await sentinel.start();
  await sentinel.firstPolls();
  const url = sentinel.url;
  const metricsText = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`);
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
    return res.text();
  };
  return {
    sentinel,
    url,
    metricsText,
    metrics: async () => parseExposition(await metricsText()),
    status: async () => (await (await fetch(`${url}/api/v1/status`)).json()) as StatusJson,
    async waitForMetrics(check, timeoutMs = 30_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        last = await metricsText();
        const parsed = parseExposition(last);
        if (check(parsed)) return parsed;
        if (Date.now() > deadline) {
          const domain = last
            .split('\n')
            .filter((l) => l.startsWith('kafka_connect') || l.startsWith('connect_sentinel'))
            .join('\n');
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; last /metrics:\n${domain.slice(0, 4000)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: () => sentinel.stop(),
  };
}
