/**
 * The Prometheus JMX exporter Java agent (`io.prometheus.jmx:jmx_prometheus_javaagent` from Maven
 * Central), for workers started with `startConnect(kafka, { jvmArgs: [agent.jvmArg] })`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CACHE_ROOT } from './launcher.js';
import { freePort } from './ports.js';

const execFileP = promisify(execFile);

export const DEFAULT_JMX_EXPORTER_VERSION = '1.0.1';

export function jmxExporterVersion(): string {
  const version = process.env.JMX_EXPORTER_VERSION ?? DEFAULT_JMX_EXPORTER_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`bad JMX exporter version "${version}"`);
  return version;
}

const jarPromises = new Map<string, Promise<string>>();

/** Path of the agent jar, copied by Maven into .cache/ on first use. */
export function resolveJmxExporterJar(version: string = jmxExporterVersion()): Promise<string> {
  let p = jarPromises.get(version);
  if (!p) {
    p = doResolve(version);
    p.catch(() => jarPromises.delete(version));
    jarPromises.set(version, p);
  }
  return p;
}

async function doResolve(version: string): Promise<string> {
  const dir = path.join(CACHE_ROOT, 'jmx-exporter');
  const jar = path.join(dir, `jmx_prometheus_javaagent-${version}.jar`);
  if (fs.existsSync(jar)) return jar;
  // Copied to a private directory first: a half-written jar must never be found by another run.
  const tmp = path.join(dir, `.tmp-${process.pid}`);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await execFileP(
      process.env.MVN ?? 'mvn',
      [
        '-q',
        '-B',
        'dependency:copy',
        `-Dartifact=io.prometheus.jmx:jmx_prometheus_javaagent:${version}`,
        `-DoutputDirectory=${tmp}`,
      ],
      { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 },
    );
    fs.renameSync(path.join(tmp, path.basename(jar)), jar);
    return jar;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `mvn could not fetch jmx_prometheus_javaagent ${version} (needs Maven 3 + network on first use): ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.slice(
        0,
        8000,
      ),
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface JmxExporterAgent {
  /** The `-javaagent:` flag: the agent serves `configFile`'s metrics on 127.0.0.1:<free port>. */
  jvmArg: string;
  /** Where the agent serves, e.g. http://127.0.0.1:PORT/metrics */
  metricsUrl: string;
  /** host:port, as a Prometheus static target. */
  target: string;
}

export async function jmxExporterAgent(configFile: string): Promise<JmxExporterAgent> {
  if (!fs.existsSync(configFile)) throw new Error(`JMX exporter configuration ${configFile} does not exist`);
  const jar = await resolveJmxExporterJar();
  const target = `127.0.0.1:${await freePort()}`;
  return {
    jvmArg: `-javaagent:${jar}=${target}:${path.resolve(configFile)}`,
    metricsUrl: `http://${target}/metrics`,
    target,
  };
}
