/**
 * Scrape cost of the JMX exporter agent at the demo's size (two workers, every scenario of
 * scenarios.ts, as `npm run demo` starts them): deploy/jmx/kafka-connect.yml against a catch-all
 * `rules: [{pattern: ".*"}]`. Both clusters run at once on one broker and are scraped in turn, so
 * load on the machine weighs on both alike.
 *
 *   npx tsx test/stack/jmx-footprint.ts [--scrapes 30]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JMX_CONFIG_FILE } from '../helpers/jmx-config.js';
import { parseExposition } from '../helpers/exposition.js';
import { jmxExporterAgent, jmxExporterVersion, type JmxExporterAgent } from './jmx-agent.js';
import { startConnect, startKafka, stopAll, type KafkaBroker } from './launcher.js';
import { createAllScenarios, waitForScenarios } from './scenarios.js';

interface Variant {
  label: string;
  agents: JmxExporterAgent[];
}

interface Scrape {
  series: number;
  bytes: number;
  wallMs: number;
  /** The agent's own jmx_scrape_duration_seconds, in ms. */
  agentMs: number;
}

async function startVariant(
  kafka: KafkaBroker,
  label: string,
  config: string,
  workers: number,
): Promise<Variant> {
  const agents = await Promise.all(Array.from({ length: workers }, () => jmxExporterAgent(config)));
  const groupId = `footprint-${label}`;
  const started = await Promise.all(agents.map((a) => startConnect(kafka, { groupId, jvmArgs: [a.jvmArg] })));
  const scenarios = await createAllScenarios({
    target: started[0]!.url,
    bootstrap: kafka.bootstrap,
    prefix: `fp-${label}`,
    dir: path.join(kafka.baseDir, `scenario-files-${label}`),
  });
  await waitForScenarios(started[0]!.url, scenarios);
  return { label, agents };
}

async function scrape(agent: JmxExporterAgent): Promise<Scrape> {
  const t0 = performance.now();
  const text = await (await fetch(agent.metricsUrl)).text();
  const wallMs = performance.now() - t0;
  const samples = parseExposition(text);
  const own = samples.find((s) => s.name === 'jmx_scrape_duration_seconds');
  return {
    series: samples.length,
    bytes: Buffer.byteLength(text),
    wallMs,
    agentMs: (own?.value ?? NaN) * 1000,
  };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--scrapes');
  const scrapes = i >= 0 ? Number(argv[i + 1]) : 30;
  if (!Number.isInteger(scrapes) || scrapes < 1) throw new Error(`--scrapes must be a positive integer`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jmx-footprint-'));
  const catchAll = path.join(dir, 'catch-all.yml');
  fs.writeFileSync(catchAll, 'rules:\n  - pattern: ".*"\n');
  try {
    const kafka = await startKafka();
    const variants = await Promise.all([
      startVariant(kafka, 'shipped', JMX_CONFIG_FILE, 2),
      startVariant(kafka, 'catch-all', catchAll, 2),
    ]);
    // Let the first poll/put cycles and the JIT settle before measuring.
    for (const v of variants) for (const a of v.agents) for (let n = 0; n < 3; n++) await scrape(a);
    const results = new Map<string, Scrape[][]>(variants.map((v) => [v.label, v.agents.map(() => [])]));
    for (let n = 0; n < scrapes; n++) {
      for (const v of variants) {
        for (const [w, a] of v.agents.entries()) results.get(v.label)![w]!.push(await scrape(a));
      }
    }
    const lines = [
      `JMX exporter ${jmxExporterVersion()}, Kafka ${kafka.version}, 2 workers per cluster, every demo scenario, ${scrapes} scrapes per agent`,
      'config      worker  series  kafka_connect*  bytes     wall p50/p90 ms   agent jmx_scrape_duration p50/p90 ms',
    ];
    for (const v of variants) {
      for (const [w, runs] of results.get(v.label)!.entries()) {
        const last = await (await fetch(v.agents[w]!.metricsUrl)).text();
        const connect = parseExposition(last).filter((s) => s.name.startsWith('kafka_connect')).length;
        lines.push(
          [
            v.label.padEnd(11),
            String(w + 1).padEnd(7),
            String(runs.at(-1)!.series).padEnd(7),
            String(connect).padEnd(15),
            String(runs.at(-1)!.bytes).padEnd(9),
            `${quantile(
              runs.map((r) => r.wallMs),
              0.5,
            ).toFixed(0)}/${quantile(
              runs.map((r) => r.wallMs),
              0.9,
            ).toFixed(0)}`.padEnd(17),
            `${quantile(
              runs.map((r) => r.agentMs),
              0.5,
            ).toFixed(0)}/${quantile(
              runs.map((r) => r.agentMs),
              0.9,
            ).toFixed(0)}`,
          ].join(' '),
        );
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch(async (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAll({ keepDirs: true });
  process.exit(1);
});
