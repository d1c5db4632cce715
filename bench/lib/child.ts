/**
 * Benches run the simulator and the measured servers in child processes, so that one process's CPU and
 * memory never count against another's. A child serves named operations over the IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Handler = (...args: never[]) => unknown;

interface Request {
  readonly id: number;
  readonly op: string;
  readonly args: unknown[];
}
type Reply =
  { readonly id: number; readonly result: unknown } | { readonly id: number; readonly error: string };

export interface Child {
  readonly pid: number;
  call<T>(op: string, ...args: unknown[]): Promise<T>;
  /** Asks the child to exit; kills it (by its pid) if it has not after 5 s. */
  close(): Promise<void>;
}

const built = new Map<string, Promise<string>>();

/**
 * Bundles `module` to plain JavaScript once per run (esbuild; dependencies stay in node_modules), so a
 * child runs as the sidecar does in production (`node dist/src/main.js`), without the TypeScript loader,
 * whose own thread and caches would add ~35 MB of RSS to every child's figures.
 */
function compiled(module: string): Promise<string> {
  let out = built.get(module);
  if (out === undefined) {
    const entry = fileURLToPath(new URL(module, import.meta.url));
    // Two levels below the repository root, as dist/src/ is: src/version.ts finds package.json from there.
    const outfile = join(REPO_ROOT, '.cache', 'bench', `${basename(module, '.ts')}.mjs`);
    out = build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    }).then(() => outfile);
    built.set(module, out);
  }
  return out;
}

/**
 * Starts `module` (a path relative to bench/lib, e.g. `./sim-process.ts`), compiled, in a child process,
 * with these node flags and environment variables on top of this process's.
 */
export async function spawnChild(
  module: string,
  execArgv: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<Child> {
  const path = await compiled(module);
  const proc: ChildProcess = fork(path, [], {
    execArgv: [...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.on('message', (m: Reply | 'ready') => {
    if (m === 'ready') return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (!p) return;
    if ('error' in m) p.reject(new Error(m.error));
    else p.resolve(m.result);
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`child ${path} exited`));
    pending.clear();
  });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`child ${path} exited with ${code} before it was ready`)));
    proc.once('message', (m) => {
      if (m !== 'ready') return;
      resolve({
        pid: proc.pid as number,
        call: <T>(op: string, ...args: unknown[]) =>
          new Promise<T>((res, rej) => {
            const id = next++;
            pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
            proc.send({ id, op, args } satisfies Request);
          }),
        async close() {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.send({ id: -1, op: 'exit', args: [] } satisfies Request);
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

/** The child side: answers the parent's calls; exits when asked or when the parent goes away. */
export function serve(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('serve() must run in a forked child');
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: Request) => {
    if (m.op === 'exit') process.exit(0);
    const h = handlers[m.op];
    Promise.resolve()
      .then(() => {
        if (!h) throw new Error(`unknown operation ${m.op}`);
        return (h as (...a: unknown[]) => unknown)(...m.args);
      })
      .then(
        (result) => process.send?.({ id: m.id, result: result ?? null } satisfies Reply),
        (err: unknown) =>
          process.send?.({
            id: m.id,
            error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          } satisfies Reply),
      );
  });
  process.send('ready');
}
