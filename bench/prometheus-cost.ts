/**
 * Bench 6 (issue 19): what a real Prometheus (the Debian package's `prometheus`, or $PROMETHEUS) pays for
 * scraping the sidecar, in the default exposition and with --exposition.state-sets. For each mode: a
 * simulator with N connectors × 8 tasks whose tasks and connectors change state every 15 s, a sidecar
 * polling it every 5 s, and a fresh Prometheus scraping it every 5 s for 5 minutes with the shipped alert
 * rules loaded. At the end: the head's series and chunks, and the Prometheus process's RSS (now and its
 * high-water mark, from /proc). Not part of `npm run bench` (10 minutes): `npm run bench -- prometheus`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildRules } from '../alerts/rules.js';
import { freePort } from '../test/stack/ports.js';
import { spawnChild, type Child } from './lib/child.js';
import { mb, table } from './lib/stats.js';

const CONNECTORS = 2_000;
const TASKS = 8;
const MODES = [
  { name: 'default', stateSets: false },
  { name: 'state-sets', stateSets: true },
] as const;
const SCRAPE_S = 5;
const POLL_MS = 5_000;
const RUN_MS = 5 * 60_000;
const CHURN_EVERY_MS = 15_000;
/** Tasks moved to another state every CHURN_EVERY_MS (and one connector in eight of theirs). */
const CHURN = 160;

export interface PrometheusFigures {
  readonly mode: (typeof MODES)[number]['name'];
  readonly samplesPerScrape: number;
  readonly headSeries: number;
  readonly headChunks: number;
  readonly seriesCreated: number;
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  readonly scrapeSeconds: number;
  readonly stateChanges: number;
}

interface Prom {
  readonly url: string;
  readonly proc: ChildProcess;
  query(expr: string): Promise<number>;
  stop(): Promise<void>;
}

async function startPrometheus(target: string): Promise<Prom> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-prom-cost-'));
  const port = await freePort();
  writeFileSync(join(dir, 'rules.yml'), stringify(buildRules()));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: `${SCRAPE_S}s`, evaluation_interval: `${SCRAPE_S}s` },
      rule_files: [join(dir, 'rules.yml')],
      scrape_configs: [
        { job_name: 'connect-sentinel', static_configs: [{ targets: [target] }] },
        { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
      ],
    }),
  );
  let log = '';
  const proc = spawn(
    process.env.PROMETHEUS ?? 'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-5000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || proc.exitCode !== null) {
      await stop();
      throw new Error(
        `prometheus did not start (install it: apt-get install prometheus):\n${log.slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    proc,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { result: { value: [number, string] }[] };
      };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error ?? res.status}`);
      const v = body.data?.result[0]?.value[1];
      if (v === undefined) throw new Error(`query ${expr} returned nothing`);
      return Number(v);
    },
    stop,
  };
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  )?.[1];
  if (kb === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

async function run(sim: Child, mode: (typeof MODES)[number]): Promise<PrometheusFigures> {
  const simUrl = await sim.call<string>('start', {
    connectors: CONNECTORS,
    tasksPerConnector: TASKS,
    cacheBodies: false,
  });
  const sentinel = await spawnChild('./sentinel-process.ts');
  let prom: Prom | undefined;
  try {
    const { url } = await sentinel.call<{ url: string }>(
      'start',
      simUrl,
      { intervalMs: POLL_MS, timeoutMs: 30_000 },
      { stateSets: mode.stateSets },
    );
    prom = await startPrometheus(new URL(url).host);
    const started = Date.now();
    let round = 0;
    while (Date.now() - started < RUN_MS) {
      await new Promise((r) => setTimeout(r, Math.min(CHURN_EVERY_MS, RUN_MS - (Date.now() - started))));
      if (Date.now() - started < RUN_MS) await sim.call('churn', CHURN, round++);
    }
    const pid = prom.proc.pid as number;
    const job = 'job="connect-sentinel"';
    return {
      mode: mode.name,
      samplesPerScrape: await prom.query(`scrape_samples_scraped{${job}}`),
      headSeries: await prom.query('prometheus_tsdb_head_series'),
      headChunks: await prom.query('prometheus_tsdb_head_chunks'),
      seriesCreated: await prom.query('prometheus_tsdb_head_series_created_total'),
      rssBytes: procStatus(pid, 'VmRSS'),
      peakRssBytes: procStatus(pid, 'VmHWM'),
      scrapeSeconds: await prom.query(`avg_over_time(scrape_duration_seconds{${job}}[5m])`),
      stateChanges: round * CHURN,
    };
  } finally {
    await prom?.stop();
    await sentinel.call('stop').catch(() => undefined);
    await sentinel.close();
  }
}

export async function benchPrometheusCost(): Promise<PrometheusFigures[]> {
  console.log(
    `\n## 6. A real Prometheus scraping the sidecar at ${CONNECTORS} × ${TASKS} every ${SCRAPE_S} s for ` +
      `${RUN_MS / 60_000} minutes, shipped rules loaded; ${CHURN} tasks change state every ${CHURN_EVERY_MS / 1000} s`,
  );
  const sim = await spawnChild('./sim-process.ts');
  const out: PrometheusFigures[] = [];
  try {
    for (const mode of MODES) out.push(await run(sim, mode));
  } finally {
    await sim.close();
  }
  table([
    [
      'mode',
      'samples/scrape',
      'head series',
      'series created',
      'head chunks',
      'Prometheus RSS MB',
      'peak RSS MB',
      'scrape s (avg)',
      'task state changes',
    ],
    ...out.map((f) => [
      f.mode,
      String(f.samplesPerScrape),
      String(f.headSeries),
      String(f.seriesCreated),
      String(f.headChunks),
      mb(f.rssBytes),
      mb(f.peakRssBytes),
      f.scrapeSeconds.toFixed(3),
      String(f.stateChanges),
    ]),
  ]);
  return out;
}
