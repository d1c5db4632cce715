/**
 * Benches run the simulator and the measured servers in child processes, so that one process's CPU and
 * memory never count against another's. A child serves named operations over the IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** Starts `module` (a path relative to bench/lib, e.g. `./sim-process.ts`) under tsx. */
export function spawnChild(module: string, execArgv: readonly string[] = []): Promise<Child> {
  const path = fileURLToPath(new URL(module, import.meta.url));
  const proc: ChildProcess = fork(path, [], {
    execArgv: ['--import', 'tsx', ...execArgv],
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
