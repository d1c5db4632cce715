/**
 * `npm run demo` as a user runs it, real stack and all: SIGTERM or SIGINT to the PID that `npm run demo`
 * started, or Ctrl-C (SIGINT to the terminal's process group), leaves no process of it and no temp dir;
 * a port that is taken is reported, with the `--port` hint, before anything starts.
 *
 * Processes are read from /proc (Linux), each identified by pid and start time, so a reused pid is not
 * mistaken for a survivor.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../stack/launcher.js';
import { freePort } from '../stack/ports.js';

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly start: string;
  readonly args: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold anything: the fields after its last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(fields[1]), start: fields[19] ?? '', args };
  } catch {
    return undefined; // gone meanwhile
  }
}

function allProcs(): Proc[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => readProc(Number(d)) ?? []);
}

/** `root` and every process below it. */
function tree(root: number): Proc[] {
  const procs = allProcs();
  const out = procs.filter((p) => p.pid === root);
  for (let i = 0; i < out.length; i++) out.push(...procs.filter((p) => p.ppid === out[i]!.pid));
  return out;
}

const alive = (p: Proc): boolean => readProc(p.pid)?.start === p.start;

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Demo {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function startDemo(port: number, detached: boolean): Demo {
  const child = spawn('npm', ['run', 'demo', '--', '--port', String(port)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // detached: its own process group, as a shell gives a foreground job, so Ctrl-C can be sent to it.
    detached,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** What is left of the demo: its tree as last seen, and whatever carries its owner mark since. */
function survivors(seen: readonly Proc[], demoPid: number): Proc[] {
  const marked = allProcs().filter(
    (p) => p.args.includes(`sentinel.stack.owner=${demoPid} `) || p.args.includes(`kill -0 ${demoPid} `),
  );
  return [...seen.filter(alive), ...marked.filter((m) => !seen.some((s) => s.pid === m.pid))];
}

/** Signals the demo, then waits for npm to exit and for every process of it to be gone. */
async function expectStopsCleanly(demo: Demo, send: () => void, seen: () => Proc[]): Promise<void> {
  const pid = demo.child.pid!;
  const before = seen();
  const demoNode = before.find((p) => p.ppid === pid && p.args.includes('scripts/demo.ts'));
  expect(
    demoNode,
    `the demo's node process under npm:\n${before.map((p) => p.args).join('\n')}`,
  ).toBeDefined();
  send();
  const code = await Promise.race([
    demo.exited,
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000)),
  ]);
  expect(code, `npm run demo did not exit after the signal; output:\n${demo.output()}`).toBe(0);
  // The watchdog shell notices within a second that the demo is gone, then exits too.
  const left = await until('every process of the demo to exit', 15_000, () => {
    const s = survivors(before, demoNode!.pid);
    return s.length === 0 ? s : undefined;
  }).catch(() => survivors(before, demoNode!.pid));
  expect(left.map((p) => `${p.pid} ${p.args.slice(0, 120)}`)).toEqual([]);
  expect(demo.output()).toContain('stopping connect-sentinel, Connect and Kafka...');
}

const JAVA = (p: Proc): boolean => /(^|\/)java /.test(p.args);

describe.skipIf(process.platform !== 'linux')('npm run demo stops cleanly', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the PID that npm run demo started leaves no java or node process of it, and no temp dir',
    async (signal) => {
      const demo = startDemo(await freePort(), false);
      try {
        await until('the demo to be up', 240_000, () =>
          /stops everything\./.test(demo.output()) ? true : undefined,
        );
        const baseDir = /logs under (\S+)/.exec(demo.output())?.[1];
        const procs = tree(demo.child.pid!);
        // Kafka and two Connect workers, all children of the demo's one node process.
        expect(procs.filter(JAVA)).toHaveLength(3);
        await expectStopsCleanly(
          demo,
          () => process.kill(demo.child.pid!, signal),
          () => procs,
        );
        expect(baseDir && fs.existsSync(baseDir)).toBe(false);
      } finally {
        if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
      }
    },
    360_000,
  );

  test('Ctrl-C while Kafka is still starting leaves no process of it', async () => {
    const demo = startDemo(await freePort(), true);
    const pid = demo.child.pid!;
    try {
      // The broker's JVM exists, the workers do not yet: start-up is in the middle.
      let last: Proc[] = [];
      await until('the Kafka JVM', 120_000, () => {
        last = tree(pid);
        return last.some((p) => JAVA(p) && p.args.includes('kafka.Kafka')) ? true : undefined;
      });
      // A terminal's Ctrl-C: SIGINT to every process of the foreground group. Processes that start between
      // this snapshot and the signal are found by their owner mark.
      await expectStopsCleanly(
        demo,
        () => process.kill(-pid, 'SIGINT'),
        () => tree(pid),
      );
      expect(last.filter(JAVA).length).toBeGreaterThan(0);
    } finally {
      if (demo.child.exitCode === null) process.kill(-pid, 'SIGKILL');
    }
  }, 240_000);
});

describe('npm run demo on a taken port', () => {
  test('says so with the --port hint in under 2 s, before anything starts', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const t0 = Date.now();
      const r = spawnSync('npm', ['run', 'demo', '--', '--port', String(port)], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      });
      const ms = Date.now() - t0;
      expect(r.status, r.stderr).toBe(2);
      const hint = new RegExp(
        `^demo: port ${port} on 127\\.0\\.0\\.1 is taken, .*nothing was started\\. Choose another port: npm run demo -- --port (\\d+)$`,
        'm',
      );
      const suggested = Number(hint.exec(r.stderr)?.[1]);
      expect(r.stderr).toMatch(hint);
      expect(suggested).toBeGreaterThan(port);
      expect(r.stdout).not.toContain('starting Kafka');
      expect(ms).toBeLessThan(2000);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
