/**
 * Real Kafka (KRaft, combined broker+controller) + distributed Kafka Connect on 127.0.0.1, started from
 * Maven-resolved jars. Used by the integration tests' global setup, by tests that need a private
 * broker/worker, and by the demo (run.ts). See README.md in this folder.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { canConnect, freePort } from './ports.js';
import { rest } from './rest.js';

const execFileP = promisify(execFile);

export const DEFAULT_KAFKA_VERSION = '4.1.2';
export const STACK_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(STACK_DIR, '..', '..');
/** Jar classpath + compiled test plugins, per version. Override with STACK_CACHE_DIR (e.g. for CI caches). */
export const CACHE_ROOT = process.env.STACK_CACHE_DIR
  ? path.resolve(process.env.STACK_CACHE_DIR)
  : path.join(REPO_ROOT, '.cache');

/** Class names of the connectors compiled from test/stack/java (always on the worker classpath). */
export const TEST_PLUGINS = {
  errantRecordSink: 'sentinel.stack.ErrantRecordSinkConnector',
  failingSink: 'sentinel.stack.FailingSinkConnector',
  /** Reports records whose value contains "poison" to the DLQ and commits only past the records it wrote. */
  writtenOnlySink: 'sentinel.stack.WrittenOnlySinkConnector',
  /** Exception and message the errant-record sink reports every record with (DLQ stage TASK_PUT). */
  errantException: 'org.apache.kafka.connect.errors.DataException',
  errantMessage: 'errant record reported by test sink',
  connectorFailureMessage: 'simulated connector failure (mock_mode=connector-failure)',
  taskFailureMessage: 'simulated task failure (mock_mode=task-failure)',
} as const;

export interface BasicAuth {
  username: string;
  password: string;
}

export interface KafkaBroker {
  /** host:port of the PLAINTEXT listener (never the controller port). */
  bootstrap: string;
  version: string;
  baseDir: string;
  dataDir: string;
  logFile: string;
  clusterId: string;
  running(): boolean;
  /** SIGTERM, then SIGKILL after a timeout. */
  stop(): Promise<void>;
  /** (Re)start with the same data dir and ports; resolves once the broker answers. */
  start(): Promise<void>;
  kill(): Promise<void>;
}

export interface ConnectWorker {
  /** REST base URL, e.g. http://127.0.0.1:PORT or https://127.0.0.1:PORT */
  url: string;
  /** Advertised host:port, as the status API's worker_id shows it. */
  workerId: string;
  groupId: string;
  version: string;
  dir: string;
  logFile: string;
  /** Internal topics of this Connect cluster. */
  topics: { config: string; offset: string; status: string };
  basicAuth?: BasicAuth;
  tls?: { caFile: string; caPem: string };
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGKILL, no graceful shutdown. */
  kill(): Promise<void>;
}

export interface StartKafkaOptions {
  baseDir?: string;
  version?: string;
  /** Extra server.properties entries; a function gets the ports the launcher picked (to add a listener). */
  extraProps?:
    Record<string, string> | ((ports: { port: number; controllerPort: number }) => Record<string, string>);
}

export interface StartConnectOptions {
  groupId?: string;
  basicAuth?: BasicAuth;
  https?: boolean;
  baseDir?: string;
  version?: string;
  extraProps?: Record<string, string>;
  /** Extra JVM flags before the main class, e.g. a `-javaagent:` (see jmx-agent.ts). */
  jvmArgs?: string[];
  /** Readiness timeout (default 120 s). */
  timeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// versions, classpath, plugin jar

export function resolveVersion(v?: string): string {
  const version = v ?? process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`bad Kafka version "${version}"`);
  return version;
}

export function majorOf(version: string): number {
  return Number(version.split('.')[0]);
}

function cacheDir(version: string): string {
  return path.join(CACHE_ROOT, `kafka-${version}`);
}

const classpathPromises = new Map<string, Promise<string>>();

/** The Maven-resolved classpath for `version`, cached in .cache/kafka-<version>/classpath.txt. */
export function resolveClasspath(version: string): Promise<string> {
  let p = classpathPromises.get(version);
  if (!p) {
    p = doResolveClasspath(version);
    p.catch(() => classpathPromises.delete(version));
    classpathPromises.set(version, p);
  }
  return p;
}

async function doResolveClasspath(version: string): Promise<string> {
  const dir = cacheDir(version);
  const file = path.join(dir, 'classpath.txt');
  const pom = path.join(STACK_DIR, 'pom.xml');
  // The pom's hash is part of the cache key: editing the pom re-resolves.
  const pomHash = createHash('sha256').update(fs.readFileSync(pom)).digest('hex').slice(0, 12);
  const keyFile = path.join(dir, 'classpath.key');
  if (fs.existsSync(file) && fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === pomHash) {
    const cp = fs.readFileSync(file, 'utf8').trim();
    if (cp && cp.split(path.delimiter).every((j) => fs.existsSync(j))) return cp;
  }
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const args = ['-q', '-B', '-f', pom, `-Dkafka.version=${version}`];
  if (majorOf(version) < 4) args.push('-Dkafka3');
  args.push('dependency:build-classpath', `-Dmdep.outputFile=${tmp}`);
  try {
    await execFileP(process.env.MVN ?? 'mvn', args, { maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `mvn could not resolve Kafka ${version} (needs Maven 3 + network on first use): ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.slice(
        0,
        8000,
      ),
    );
  }
  const cp = fs.readFileSync(tmp, 'utf8').trim();
  fs.renameSync(tmp, file);
  fs.writeFileSync(keyFile, pomHash);
  return cp;
}

const pluginJarPromises = new Map<string, Promise<string>>();

/** Compiles test/stack/java into a jar (cached in .cache/kafka-<version>/ keyed by source hash). */
export function buildTestPluginJar(version: string, classpath: string): Promise<string> {
  let p = pluginJarPromises.get(version);
  if (!p) {
    p = doBuildTestPluginJar(version, classpath);
    p.catch(() => pluginJarPromises.delete(version));
    pluginJarPromises.set(version, p);
  }
  return p;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out.sort();
}

async function doBuildTestPluginJar(version: string, classpath: string): Promise<string> {
  const srcRoot = path.join(STACK_DIR, 'java');
  const files = listFiles(srcRoot);
  const hash = createHash('sha256');
  for (const f of files) hash.update(path.relative(srcRoot, f)).update('\0').update(fs.readFileSync(f));
  const jar = path.join(cacheDir(version), `sentinel-test-plugins-${hash.digest('hex').slice(0, 12)}.jar`);
  if (fs.existsSync(jar)) return jar;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-javac-'));
  try {
    const classes = path.join(work, 'classes');
    fs.mkdirSync(classes);
    const sources = files.filter((f) => f.endsWith('.java'));
    await execFileP(
      javaTool('javac'),
      ['-nowarn', '--release', '11', '-cp', classpath, '-d', classes, ...sources],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    for (const f of files.filter((x) => !x.endsWith('.java'))) {
      const dest = path.join(classes, path.relative(srcRoot, f));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(f, dest);
    }
    const tmpJar = path.join(work, 'plugins.jar');
    await execFileP(javaTool('jar'), ['--create', '--file', tmpJar, '-C', classes, '.']);
    fs.mkdirSync(path.dirname(jar), { recursive: true });
    fs.copyFileSync(tmpJar, `${jar}.${process.pid}.tmp`);
    fs.renameSync(`${jar}.${process.pid}.tmp`, jar);
    return jar;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function javaTool(name: string): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', name) : name;
}

/** Classpath for the JVMs: Maven jars + compiled test plugins. */
export async function runtimeClasspath(version: string): Promise<string> {
  const cp = await resolveClasspath(version);
  const jar = await buildTestPluginJar(version, cp);
  return `${jar}${path.delimiter}${cp}`;
}

// ---------------------------------------------------------------------------------------------
// processes

const OWNER_MARK = `-Dsentinel.stack.owner=${process.pid}`;

interface Managed {
  kind: 'kafka' | 'connect';
  name: string;
  proc: JavaProcess;
}

const managed = new Set<Managed>();
const ownedBaseDirs = new Set<string>();
let handlersInstalled = false;
let watchdog: ChildProcess | undefined;

class JavaProcess {
  child: ChildProcess | undefined;
  private exitPromise: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly cwd: string,
    readonly logFile: string,
    readonly args: () => string[],
  ) {}

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  spawn(): void {
    if (this.running()) throw new Error(`${this.name} is already running`);
    installHandlers();
    const fd = fs.openSync(this.logFile, 'a');
    fs.writeSync(fd, `\n===== ${new Date().toISOString()} starting ${this.name} =====\n`);
    try {
      const child = spawn(javaTool('java'), [OWNER_MARK, ...this.args()], {
        cwd: this.cwd,
        stdio: ['ignore', fd, fd],
        detached: false,
        env: { ...process.env, KAFKA_HEAP_OPTS: '', KAFKA_OPTS: '' },
      });
      this.child = child;
      this.exitPromise = new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      });
    } finally {
      fs.closeSync(fd);
    }
  }

  exited(): Promise<void> {
    return this.exitPromise;
  }

  async stop(timeoutMs: number): Promise<void> {
    const child = this.child;
    if (!child || !this.running()) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exitPromise.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && this.running()) {
      fs.appendFileSync(
        this.logFile,
        `\n===== ${this.name}: no exit ${timeoutMs} ms after SIGTERM, sending SIGKILL =====\n`,
      );
      child.kill('SIGKILL');
      await this.exitPromise;
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running()) return;
    child.kill('SIGKILL');
    await this.exitPromise;
  }

  killSync(): void {
    if (this.child && this.running()) this.child.kill('SIGKILL');
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', () => {
    for (const m of managed) m.proc.killSync();
  });
  const onSignal = (sig: NodeJS.Signals): void => {
    void stopAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  // Only add signal handlers where nobody else handles them (vitest/demo may have their own); the
  // 'exit' hook and the watchdog below cover the rest.
  if (process.listenerCount('SIGINT') === 0) process.once('SIGINT', onSignal);
  if (process.listenerCount('SIGTERM') === 0) process.once('SIGTERM', onSignal);
  startWatchdog();
}

/**
 * A tiny shell that outlives this Node process only to SIGKILL the JVMs it started if Node dies
 * without running its exit hooks (e.g. SIGKILL). It matches JVMs by the owner mark on their command
 * line, so it never touches anything else.
 */
function startWatchdog(): void {
  if (process.platform === 'win32' || watchdog) return;
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done`,
    `ps -eo pid=,args= | while read -r pid args; do case "$args" in *"${OWNER_MARK} "*) kill -9 "$pid" 2>/dev/null;; esac; done`,
  ].join('\n');
  try {
    watchdog = spawn('/bin/sh', ['-c', script], { stdio: 'ignore', detached: false });
    watchdog.on('error', () => undefined);
    watchdog.unref();
  } catch {
    // best effort
  }
}

function register(kind: Managed['kind'], name: string, proc: JavaProcess): Managed {
  const m: Managed = { kind, name, proc };
  managed.add(m);
  return m;
}

/** Stops every process this module started (Connect workers first, then brokers). */
export async function stopAll(opts: { keepDirs?: boolean } = {}): Promise<void> {
  const all = [...managed];
  await Promise.all(all.filter((m) => m.kind === 'connect').map((m) => m.proc.stop(15_000)));
  await Promise.all(all.filter((m) => m.kind === 'kafka').map((m) => m.proc.stop(20_000)));
  for (const m of all) managed.delete(m);
  const keep = opts.keepDirs ?? process.env.STACK_KEEP_DIRS === '1';
  if (!keep) {
    for (const dir of ownedBaseDirs) fs.rmSync(dir, { recursive: true, force: true });
    ownedBaseDirs.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function logTail(file: string, lines = 80): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitReady(
  proc: JavaProcess,
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  while (Date.now() < deadline) {
    if (!proc.running()) {
      throw new Error(
        `${what} exited during start-up (exit ${proc.child?.exitCode ?? proc.child?.signalCode}); log ${proc.logFile}:\n${logTail(proc.logFile)}`,
      );
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = (err as Error).message;
    }
    await sleep(250);
  }
  const tail = logTail(proc.logFile);
  process.stderr.write(
    `\n--- ${what} not ready after ${timeoutMs} ms; tail of ${proc.logFile} ---\n${tail}\n---\n`,
  );
  await proc.stop(5_000);
  throw new Error(`${what} not ready after ${timeoutMs} ms (${lastErr}); log ${proc.logFile}:\n${tail}`);
}

function writeProps(file: string, props: Record<string, string>): void {
  fs.writeFileSync(
    file,
    `${Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
}

function newBaseDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-stack-'));
  ownedBaseDirs.add(dir);
  return dir;
}

const JVM_OPTS = [
  '-Xms64m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
  '-Djava.net.preferIPv4Stack=true',
];

/** Writes the logging config for `version` into dir and returns the JVM flags that select it. */
function loggingFlags(dir: string, version: string): string[] {
  if (majorOf(version) >= 4) {
    const file = path.join(dir, 'log4j2.properties');
    fs.writeFileSync(
      file,
      [
        'status = warn',
        'appender.console.type = Console',
        'appender.console.name = STDOUT',
        'appender.console.layout.type = PatternLayout',
        'appender.console.layout.pattern = [%d] %p %m (%c)%n',
        'rootLogger.level = INFO',
        'rootLogger.appenderRef.stdout.ref = STDOUT',
        'logger.reflections.name = org.reflections',
        'logger.reflections.level = ERROR',
        'logger.jetty.name = org.eclipse.jetty',
        'logger.jetty.level = WARN',
        'logger.apiversions.name = org.apache.kafka.clients.NetworkClient',
        'logger.apiversions.level = WARN',
        '',
      ].join('\n'),
    );
    return [`-Dlog4j2.configurationFile=${file}`];
  }
  const file = path.join(dir, 'log4j.properties');
  fs.writeFileSync(
    file,
    [
      'log4j.rootLogger=INFO, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.org.reflections=ERROR',
      'log4j.logger.org.eclipse.jetty=WARN',
      'log4j.logger.org.apache.kafka.clients.NetworkClient=WARN',
      '',
    ].join('\n'),
  );
  return [`-Dlog4j.configuration=file:${file}`];
}

// ---------------------------------------------------------------------------------------------
// Kafka

/** Same shape as `kafka-storage random-uuid` (base64url of 16 random bytes, never starting with '-'). */
function randomKafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-') && !/^A+$/.test(id)) return id;
  }
}

async function brokerAnswers(bootstrap: string): Promise<boolean> {
  const [host, port] = bootstrap.split(':');
  if (!(await canConnect(Number(port), host))) return false;
  const kafka = new Kafka({
    clientId: 'stack-readiness',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const version = resolveVersion(opts.version);
  const classpath = await runtimeClasspath(version);
  const baseDir = opts.baseDir ?? newBaseDir();
  const port = await freePort();
  const controllerPort = await freePort();
  const dir = path.join(baseDir, `kafka-${port}`);
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const bootstrap = `127.0.0.1:${port}`;
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${bootstrap}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '5',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '5',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'true',
    'log.retention.check.interval.ms': '300000',
    ...(typeof opts.extraProps === 'function' ? opts.extraProps({ port, controllerPort }) : opts.extraProps),
  };
  const propsFile = path.join(dir, 'server.properties');
  writeProps(propsFile, props);
  const logFile = path.join(dir, 'kafka.log');
  const logFlags = loggingFlags(dir, version);
  const base = [...JVM_OPTS, ...logFlags, '-cp', classpath];

  // format storage (static voters: no --standalone)
  const clusterId = randomKafkaUuid();
  try {
    const out = await execFileP(javaTool('java'), [
      ...base,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propsFile,
    ]);
    fs.appendFileSync(logFile, `===== storage format =====\n${out.stdout}${out.stderr}`);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`kafka storage format failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }

  const proc = new JavaProcess(`kafka ${bootstrap}`, dir, logFile, () => [...base, 'kafka.Kafka', propsFile]);
  register('kafka', proc.name, proc);
  const start = async (): Promise<void> => {
    proc.spawn();
    await waitReady(proc, `Kafka ${version} broker ${bootstrap}`, 120_000, () => brokerAnswers(bootstrap));
  };
  await start();
  return {
    bootstrap,
    version,
    baseDir,
    dataDir,
    logFile,
    clusterId,
    running: () => proc.running(),
    stop: () => proc.stop(20_000),
    start,
    kill: () => proc.kill(),
  };
}

/**
 * The compression codec of every record batch of partition 0 of each topic, as Kafka's own
 * DumpLogSegments reads them from the broker's data dir: what the producer really wrote.
 */
export async function logSegmentCodecs(
  dataDir: string,
  version: string,
  topics: readonly string[],
): Promise<Map<string, string[]>> {
  const classpath = await runtimeClasspath(version);
  const files = topics.map((t) => {
    const dir = path.join(dataDir, `${t}-0`);
    const log = fs.readdirSync(dir).find((f) => f.endsWith('.log'));
    if (!log) throw new Error(`no log segment in ${dir}`);
    return path.join(dir, log);
  });
  const { stdout } = await execFileP(
    javaTool('java'),
    [...JVM_OPTS, '-cp', classpath, 'kafka.tools.DumpLogSegments', '--files', files.join(',')],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const out = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    const file = /^Dumping (.*)$/.exec(line)?.[1];
    if (file) current = topics[files.indexOf(file.trim())];
    const codec = /compresscodec: (\w+)/.exec(line)?.[1];
    if (codec && current !== undefined) out.set(current, [...(out.get(current) ?? []), codec.toLowerCase()]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// TLS material for HTTPS workers (one CA + 127.0.0.1 server cert per base dir)

interface TlsMaterial {
  keystore: string;
  truststore: string;
  password: string;
  caFile: string;
  caPem: string;
}

const tlsPromises = new Map<string, Promise<TlsMaterial>>();

function tlsMaterial(baseDir: string): Promise<TlsMaterial> {
  let p = tlsPromises.get(baseDir);
  if (!p) {
    p = makeTls(path.join(baseDir, 'tls'));
    tlsPromises.set(baseDir, p);
  }
  return p;
}

async function makeTls(dir: string): Promise<TlsMaterial> {
  fs.mkdirSync(dir, { recursive: true });
  const pw = 'sentinel-test';
  const f = (n: string): string => path.join(dir, n);
  // args are space-separated words; {name} is a file in dir (no spaces in any word)
  const kt = (cmd: string): Promise<unknown> =>
    execFileP(
      javaTool('keytool'),
      cmd
        .trim()
        .split(/\s+/)
        .map((w) => w.replace(/\{([^}]+)\}/g, (_, n: string) => f(n))),
    );
  const store = `-storetype PKCS12 -storepass ${pw} -keypass ${pw}`;
  const keyPair = '-keyalg RSA -keysize 2048 -validity 3650';
  await Promise.all([
    kt(
      `-genkeypair -alias ca -dname CN=sentinel-test-CA ${keyPair} -ext bc:c -keystore {ca.p12} ${store}`,
    ).then(() => kt(`-exportcert -rfc -alias ca -keystore {ca.p12} -storepass ${pw} -file {ca.pem}`)),
    kt(`-genkeypair -alias server -dname CN=127.0.0.1 ${keyPair} -keystore {server.p12} ${store}`).then(() =>
      kt(`-certreq -alias server -keystore {server.p12} -storepass ${pw} -file {server.csr}`),
    ),
  ]);
  await Promise.all([
    kt(
      `-gencert -rfc -alias ca -keystore {ca.p12} -storepass ${pw} -infile {server.csr} -outfile {server.pem}
       -validity 3650 -ext SAN=ip:127.0.0.1,dns:localhost -ext KU=digitalSignature,keyEncipherment -ext EKU=serverAuth`,
    ),
    kt(
      `-importcert -noprompt -alias ca -keystore {truststore.p12} -storetype PKCS12 -storepass ${pw} -file {ca.pem}`,
    ),
  ]);
  // the chain: CA first, then the CA-signed reply replaces the self-signed server cert
  await kt(`-importcert -noprompt -alias ca -keystore {server.p12} -storepass ${pw} -file {ca.pem}`);
  await kt(`-importcert -alias server -keystore {server.p12} -storepass ${pw} -file {server.pem}`);
  return {
    keystore: f('server.p12'),
    truststore: f('truststore.p12'),
    password: pw,
    caFile: f('ca.pem'),
    caPem: fs.readFileSync(f('ca.pem'), 'utf8'),
  };
}

// ---------------------------------------------------------------------------------------------
// Connect

/** What startConnect needs of a broker: a KafkaBroker, or just the bootstrap of one started elsewhere. */
export interface KafkaRef {
  bootstrap: string;
  version?: string;
  baseDir?: string;
}

export async function startConnect(kafka: KafkaRef, opts: StartConnectOptions = {}): Promise<ConnectWorker> {
  const version = resolveVersion(opts.version ?? kafka.version);
  const classpath = await runtimeClasspath(version);
  const groupId = opts.groupId ?? 'sentinel-connect';
  const baseDir = opts.baseDir ?? kafka.baseDir ?? newBaseDir();
  const port = await freePort();
  const scheme = opts.https ? 'https' : 'http';
  const dir = path.join(baseDir, `connect-${groupId}-${port}`);
  fs.mkdirSync(dir, { recursive: true });
  const topics = {
    config: `_${groupId}-configs`,
    offset: `_${groupId}-offsets`,
    status: `_${groupId}-status`,
  };
  const props: Record<string, string> = {
    'bootstrap.servers': kafka.bootstrap,
    'group.id': groupId,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter.schemas.enable': 'false',
    'config.storage.topic': topics.config,
    'offset.storage.topic': topics.offset,
    'status.storage.topic': topics.status,
    'config.storage.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'offset.storage.partitions': '5',
    'status.storage.partitions': '1',
    'offset.flush.interval.ms': '1000',
    'scheduled.rebalance.max.delay.ms': '0',
    'task.shutdown.graceful.timeout.ms': '3000',
    listeners: `${scheme}://127.0.0.1:${port}`,
    'rest.advertised.host.name': '127.0.0.1',
    'rest.advertised.port': String(port),
    'rest.advertised.listener': scheme,
    // Every plugin on the classpath (AK's and test/stack/java's) has ServiceLoader manifests:
    // skipping the reflective classpath scan saves seconds per start.
    'plugin.discovery': 'service_load',
  };
  const jvmExtra: string[] = [];
  let tls: ConnectWorker['tls'];
  if (opts.https) {
    const m = await tlsMaterial(baseDir);
    Object.assign(props, {
      'listeners.https.ssl.keystore.location': m.keystore,
      'listeners.https.ssl.keystore.password': m.password,
      'listeners.https.ssl.keystore.type': 'PKCS12',
      'listeners.https.ssl.key.password': m.password,
      'listeners.https.ssl.truststore.location': m.truststore,
      'listeners.https.ssl.truststore.password': m.password,
      'listeners.https.ssl.truststore.type': 'PKCS12',
      'listeners.https.ssl.client.auth': 'none',
      // used by this worker's REST client when it forwards requests to the leader
      'ssl.truststore.location': m.truststore,
      'ssl.truststore.password': m.password,
      'ssl.truststore.type': 'PKCS12',
    });
    tls = { caFile: m.caFile, caPem: m.caPem };
  }
  if (opts.basicAuth) {
    const creds = path.join(dir, 'rest-credentials.properties');
    fs.writeFileSync(creds, `${opts.basicAuth.username}=${opts.basicAuth.password}\n`);
    const jaas = path.join(dir, 'rest-jaas.conf');
    fs.writeFileSync(
      jaas,
      `KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file="${creds}";\n};\n`,
    );
    props['rest.extension.classes'] =
      'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension';
    jvmExtra.push(`-Djava.security.auth.login.config=${jaas}`);
  }
  Object.assign(props, opts.extraProps);
  const propsFile = path.join(dir, 'connect-distributed.properties');
  writeProps(propsFile, props);
  const logFile = path.join(dir, 'connect.log');
  const logFlags = loggingFlags(dir, version);
  const url = `${scheme}://127.0.0.1:${port}`;
  const workerId = `127.0.0.1:${port}`;
  const proc = new JavaProcess(`connect ${groupId} ${workerId}`, dir, logFile, () => [
    ...JVM_OPTS,
    ...logFlags,
    ...jvmExtra,
    ...(opts.jvmArgs ?? []),
    '-cp',
    classpath,
    'org.apache.kafka.connect.cli.ConnectDistributed',
    propsFile,
  ]);
  register('connect', proc.name, proc);
  const target = { url, basicAuth: opts.basicAuth, caPem: tls?.caPem };
  const ready = async (): Promise<boolean> => {
    if (majorOf(version) >= 4) {
      const res = await rest(target, 'GET', 'health', undefined, 5000);
      return res.status === 200;
    }
    // 3.x: no /health. GET / answers early; GET /connectors only once the herder has started.
    const root = await rest(target, 'GET', '', undefined, 5000);
    if (root.status !== 200) return false;
    const list = await rest(target, 'GET', 'connectors', undefined, 5000);
    return list.status === 200;
  };
  const start = async (): Promise<void> => {
    proc.spawn();
    await waitReady(
      proc,
      `Connect ${version} worker ${url} (group ${groupId})`,
      opts.timeoutMs ?? 120_000,
      ready,
    );
  };
  await start();
  const worker: ConnectWorker = {
    url,
    workerId,
    groupId,
    version,
    dir,
    logFile,
    topics,
    running: () => proc.running(),
    stop: () => proc.stop(15_000),
    start,
    kill: () => proc.kill(),
  };
  if (opts.basicAuth) worker.basicAuth = opts.basicAuth;
  if (tls) worker.tls = tls;
  return worker;
}

/** REST target (url + auth + CA) for a worker, as scenarios.ts accepts it. */
export function targetOf(w: ConnectWorker): { url: string; basicAuth?: BasicAuth; caPem?: string } {
  return {
    url: w.url,
    ...(w.basicAuth ? { basicAuth: w.basicAuth } : {}),
    ...(w.tls ? { caPem: w.tls.caPem } : {}),
  };
}
