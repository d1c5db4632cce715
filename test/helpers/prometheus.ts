/**
 * A real Prometheus (the Debian package's binary, or $PROMETHEUS) for end-to-end tests: scrapes the given
 * targets as job "connect-sentinel" every second and evaluates the given rule groups every second.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../stack/ports.js';

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface TestPrometheus {
  readonly url: string;
  /** The alerts pending or firing now. */
  alerts(): Promise<PromAlert[]>;
  /** An instant query now. */
  query(expr: string): Promise<PromSample[]>;
  /** What Prometheus logged so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(rules: unknown, targets: readonly string[]): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-prom-'));
  writeFileSync(join(dir, 'rules.yml'), stringify(rules));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'rules.yml')],
      scrape_configs: [{ job_name: 'connect-sentinel', static_configs: [{ targets }] }],
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.env.PROMETHEUS ?? 'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus did not start:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    async alerts() {
      const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } };
      return body.data.alerts;
    },
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: PromSample[] } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error ?? res.status}`);
      return body.data.result;
    },
    log: () => log,
    stop,
  };
}
