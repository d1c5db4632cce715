/**
 * deploy/ parsed and checked against the code: the flags the examples pass load with the real config
 * loader, ports and paths are the code's defaults, names agree across files (Service ↔ ServiceMonitor ↔
 * alert rules' job, compose services ↔ URLs), and every file referenced exists in the repository.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { SETTINGS } from '../../../src/config/schema.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');
const DEFAULT_PORT = Number(
  String(SETTINGS.find((s) => s.key === 'web.listenAddress')?.default)
    .split(':')
    .pop(),
);
const TELEMETRY_PATH = String(SETTINGS.find((s) => s.key === 'web.telemetryPath')?.default);
const FLAGS = new Set(SETTINGS.flatMap((s) => (s.flag ? [s.flag] : [])));
const ROUTES_SOURCE = read('src/http/routes.ts');

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML */
type Doc = any;

function properties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*)$/.exec(line);
    if (m) out.set(m[1] as string, (m[2] as string).trim());
  }
  return out;
}

/** The sidecar's args, checked flag by flag against SETTINGS, then loaded by the real config loader. */
function loadSidecarArgs(args: readonly string[], env: Record<string, string> = {}) {
  for (const a of args) {
    const name = /^--([^=]+)/.exec(a)?.[1];
    expect(name !== undefined && FLAGS.has(name), `${a} is a flag of connect-sentinel`).toBe(true);
  }
  return loadConfig({ argv: [...args], env });
}

function pinned(image: string): void {
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  expect(tag, `${image} has a tag`).toBeDefined();
  expect(tag).not.toBe('latest');
  expect(tag, `${image} is pinned to a version`).toMatch(/\d+\.\d+/);
}

const TEST_POD_IP = '10.1.2.3';

/**
 * An example ships healing in dry-run (restarts decided and logged, none sent), and its comment's way to go
 * live, done as written, loads as real restarts.
 */
function expectDryRunWithWayToGoLive(file: string, args: readonly string[]): void {
  expect(loadSidecarArgs(args).clusters[0]?.restart).toMatchObject({ enabled: false, dryRun: true });
  const how = /To go live, replace (--[\w.-]+) with (--[\w.-]+)/.exec(read(file).replace(/\s*#\s*/g, ' '));
  const [, from = '', to = ''] = how ?? [];
  expect([from, to], `${file} says how to go live`).toEqual(['--restart.dry-run', '--restart.enabled']);
  const live = args.map((a) => (a === from ? to : a));
  expect(loadSidecarArgs(live).clusters[0]?.restart).toMatchObject({ enabled: true, dryRun: false });
}

describe('deploy/kubernetes', () => {
  const docs: Doc[] = parse(read('deploy/kubernetes/kustomization.yaml')).resources.flatMap((f: string) =>
    parseAllDocuments(read(`deploy/kubernetes/${f}`)).map((d) => {
      expect(d.errors, f).toEqual([]);
      return d.toJS();
    }),
  );
  const find = (kind: string, name: string): Doc => {
    const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
    expect(d, `${kind}/${name}`).toBeDefined();
    return d;
  };
  const deployment = find('Deployment', 'kafka-connect');
  const pod = deployment.spec.template;
  const connect = pod.spec.containers.find((c: Doc) => c.name === 'connect');
  const sidecar = pod.spec.containers.find((c: Doc) => c.name === 'connect-sentinel');
  const workerProps = properties(find('ConfigMap', 'kafka-connect').data['connect-distributed.properties']);

  test('every file the kustomization lists exists, and the PrometheusRule it points to is generated', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Service',
      'Service',
      'ServiceMonitor',
    ]);
    const rule = parse(read('alerts/prometheusrule.yaml'));
    expect(rule.kind).toBe('PrometheusRule');
    expect(read('deploy/kubernetes/kustomization.yaml')).toContain(
      'kubectl apply -f alerts/prometheusrule.yaml',
    );
  });

  test('the sidecar runs in worker scope with its worker id taken from the pod IP that Connect advertises', () => {
    const env = (c: Doc) =>
      Object.fromEntries(c.env.map((e: Doc) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]));
    expect(env(sidecar).POD_IP).toBe('status.podIP');
    expect(env(connect).POD_IP).toBe('status.podIP');
    // Kubernetes expands $(POD_IP) in args from the container's env.
    const args: string[] = sidecar.args.map((a: string) => a.replaceAll('$(POD_IP)', TEST_POD_IP));
    const config = loadSidecarArgs(args);
    const cluster = config.clusters[0];
    const restPort = new URL(workerProps.get('listeners') as string).port;
    expect(cluster?.workerId).toBe(`${TEST_POD_IP}:${workerProps.get('rest.advertised.port')}`);
    expect(workerProps.get('rest.advertised.port')).toBe(restPort);
    expect(new URL(cluster?.url ?? '').port).toBe(restPort);
    expect(cluster?.kafka?.brokers).toEqual([workerProps.get('bootstrap.servers')]);
    // The advertised host is the pod IP, appended by the connect container's start command.
    expect(connect.args.join(' ')).toContain('echo "rest.advertised.host.name=${POD_IP}"');
    expect(connect.args.join(' ')).toMatch(/exec \/opt\/kafka\/bin\/connect-distributed\.sh/);
    expect(connect.ports).toContainEqual({ name: 'rest', containerPort: Number(restPort) });
  });

  test('healing ships in dry-run, with a comment on how to go live', () => {
    const args: string[] = sidecar.args.map((a: string) => a.replaceAll('$(POD_IP)', TEST_POD_IP));
    expectDryRunWithWayToGoLive('deploy/kubernetes/connect-worker.yaml', args);
  });

  test('ports, probes and security context agree with the image and the code', () => {
    expect(sidecar.ports).toEqual([{ name: 'metrics', containerPort: DEFAULT_PORT }]);
    expect(sidecar.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(ROUTES_SOURCE).toContain("app.get('/healthz'");
    expect(sidecar.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(read('Dockerfile')).toMatch(/^USER 1000:1000$/m);
    pinned(sidecar.image);
    pinned(connect.image);
    const mount = connect.volumeMounts.find((m: Doc) => m.name === 'worker-config');
    expect(connect.args.join(' ')).toContain(`${mount.mountPath}/connect-distributed.properties`);
    expect(pod.spec.volumes).toContainEqual({ name: 'worker-config', configMap: { name: 'kafka-connect' } });
  });

  test("Services select the pods; the ServiceMonitor scrapes the metrics port and path; the job is the rules' job", () => {
    const podLabels = pod.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(podLabels);
    const metrics = find('Service', 'connect-sentinel');
    expect(metrics.spec.selector).toEqual(expect.objectContaining(podLabels));
    expect(metrics.spec.ports).toEqual([{ name: 'metrics', port: DEFAULT_PORT, targetPort: 'metrics' }]);
    const rest = find('Service', 'kafka-connect');
    expect(rest.spec.ports[0].targetPort).toBe('rest');

    const sm = find('ServiceMonitor', 'connect-sentinel');
    expect(metrics.metadata.labels).toEqual(expect.objectContaining(sm.spec.selector.matchLabels));
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: TELEMETRY_PATH })]);
    // The Operator's job label is the Service name (no jobLabel set): the alert rules select on it.
    expect(sm.spec.jobLabel).toBeUndefined();
    expect(read('alerts/connect-sentinel.rules.yml')).toContain(`job="${metrics.metadata.name}"`);
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  const prom = parse(read('deploy/prometheus/prometheus.yml'));
  const job = prom.scrape_configs.find((j: Doc) => j.job_name === 'connect-sentinel');

  test('the scrape job is named as the alert rules expect and scrapes the default port and path', () => {
    expect(job).toBeDefined();
    expect(read('alerts/connect-sentinel.rules.yml')).toContain('job="connect-sentinel"');
    expect(job.metrics_path).toBe(TELEMETRY_PATH);
    const targets: string[] = job.static_configs.flatMap((s: Doc) => s.targets);
    expect(targets.map((t) => Number(t.split(':').pop()))).toEqual([DEFAULT_PORT]);
  });

  test('promtool accepts it with the generated rules in place', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-prom-'));
    try {
      const rules = prom.rule_files as string[];
      expect(rules).toEqual(['/etc/prometheus/rules/connect-sentinel.rules.yml']);
      fs.copyFileSync(
        path.join(ROOT, 'alerts/connect-sentinel.rules.yml'),
        path.join(dir, 'connect-sentinel.rules.yml'),
      );
      const text = read('deploy/prometheus/prometheus.yml').replace('/etc/prometheus/rules/', `${dir}/`);
      fs.writeFileSync(path.join(dir, 'prometheus.yml'), text);
      const out = execFileSync('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
      expect(out).toMatch(/SUCCESS: 1 rule files found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/compose/compose.yaml', () => {
  const dir = path.join(ROOT, 'deploy/compose');
  const compose = parse(read('deploy/compose/compose.yaml'));
  const services = compose.services as Record<string, Doc>;
  /** host path of a bind mount → its path in the container, resolved like compose does (relative to the file). */
  const mounts = (svc: Doc): { host: string; container: string }[] =>
    (svc.volumes ?? []).map((v: string) => {
      const [host, container] = v.split(':');
      return { host: path.resolve(dir, host as string), container: container as string };
    });
  const inContainer = (svc: Doc, file: string): string | undefined => {
    for (const m of mounts(svc)) {
      if (file === m.container) return m.host;
      if (file.startsWith(`${m.container}/`)) return path.join(m.host, file.slice(m.container.length + 1));
    }
    return undefined;
  };

  test('runs Kafka, Connect, connect-sentinel, Prometheus and Grafana on pinned images; every mounted file exists', () => {
    expect(Object.keys(services).sort()).toEqual([
      'connect',
      'connect-sentinel',
      'grafana',
      'kafka',
      'prometheus',
    ]);
    for (const [name, svc] of Object.entries(services)) {
      if (svc.image && !svc.build) pinned(svc.image);
      for (const m of mounts(svc)) expect(fs.existsSync(m.host), `${name}: ${m.host}`).toBe(true);
    }
  });

  test('connect-sentinel is built from this repository and its flags load; URLs point at the compose services', () => {
    const s = services['connect-sentinel'];
    expect(path.resolve(dir, s.build.context)).toBe(path.resolve(ROOT));
    expect(fs.existsSync(path.join(path.resolve(dir, s.build.context), s.build.dockerfile))).toBe(true);
    const config = loadSidecarArgs(s.command);
    const cluster = config.clusters[0];
    const connectUrl = new URL(cluster?.url ?? '');
    expect(services[connectUrl.hostname]).toBe(services.connect);
    const worker = properties(
      fs.readFileSync(inContainer(services.connect, services.connect.command[1]) as string, 'utf8'),
    );
    expect(connectUrl.port).toBe(new URL(worker.get('listeners') as string).port);
    expect(worker.get('bootstrap.servers')).toBe('kafka:9092');
    expect(cluster?.kafka?.brokers).toEqual(['kafka:9092']);
    expect(services.kafka.environment.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
    expect(s.ports).toEqual([`${DEFAULT_PORT}:${DEFAULT_PORT}`]);
  });

  test('healing ships in dry-run, with a comment on how to go live', () => {
    expectDryRunWithWayToGoLive('deploy/compose/compose.yaml', services['connect-sentinel'].command);
  });

  test('Prometheus gets the scrape job and the rules; its target is the sidecar service', () => {
    const p = services.prometheus;
    const config = inContainer(p, '/etc/prometheus/prometheus.yml');
    expect(config).toBe(path.join(ROOT, 'deploy/prometheus/prometheus.yml'));
    const prom = parse(fs.readFileSync(config as string, 'utf8'));
    for (const rule of prom.rule_files as string[]) {
      expect(inContainer(p, rule)).toBe(path.join(ROOT, 'alerts/connect-sentinel.rules.yml'));
    }
    const targets: string[] = prom.scrape_configs.find((j: Doc) => j.job_name === 'connect-sentinel')
      .static_configs[0].targets;
    expect(targets).toEqual([`connect-sentinel:${DEFAULT_PORT}`]);
    expect(services['connect-sentinel']).toBeDefined();
  });

  test('Grafana gets the provisioning and the dashboards where the provisioning looks for them', () => {
    const g = services.grafana;
    expect(inContainer(g, '/etc/grafana/provisioning')).toBe(path.join(ROOT, 'deploy/grafana/provisioning'));
    const providers = parse(read('deploy/grafana/provisioning/dashboards/connect-sentinel.yaml'))
      .providers as Doc[];
    for (const p of providers) {
      const host = inContainer(g, p.options.path);
      expect(host, p.options.path).toBe(path.join(ROOT, 'dashboards'));
      expect(fs.readdirSync(host as string).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
    }
    const ds = parse(read('deploy/grafana/provisioning/datasources/prometheus.yaml')).datasources as Doc[];
    const url = new URL(ds[0].url);
    expect(services[url.hostname]).toBe(services.prometheus);
    expect(services.prometheus.ports).toContain(`${url.port}:${url.port}`);
  });
});
