/**
 * `connect-sentinel dlq …`: parses the subcommand, opens the session with the sidecar's configuration,
 * runs the command, and maps every outcome to an exit status: 0 done, 1 a Kafka/Connect failure or a
 * record that could not be republished, 2 bad flags or configuration (the flag or key named).
 */
import { ConfigError } from '../config/load.js';
import { parseDlqArgs, UsageError, type DlqCommand } from './args.js';
import { loadFix, type Fix } from './fix-module.js';
import { exportRecords, inspect } from './inspect.js';
import { list } from './list.js';
import { replay } from './replay.js';
import { openSession, targetOf, type Session } from './session.js';
import { processTerminal, type Terminal } from './terminal.js';

export interface DlqCliOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly term?: Terminal;
}

/** `argv` is what follows `dlq` on the command line. */
export async function runDlqCli(argv: readonly string[], opts: DlqCliOptions): Promise<number> {
  const term = opts.term ?? processTerminal();
  const fail = (code: number, text: string): number => {
    term.err(`connect-sentinel dlq: ${text}\n`);
    return code;
  };
  let session: Session | undefined;
  try {
    const cmd = parseDlqArgs(argv);
    if (cmd.kind === 'help') {
      term.out(cmd.text);
      return 0;
    }
    // The fix is loaded before anything is read, so a broken module costs no Kafka request.
    const fix = cmd.kind === 'replay' && cmd.fix !== undefined ? await loadFix(cmd.fix) : undefined;
    session = await openSession({
      sidecarArgv: cmd.sidecarArgv,
      env: opts.env,
      ...(cmd.cluster !== undefined ? { cluster: cmd.cluster } : {}),
    });
    return await run(cmd, session, term, fix);
  } catch (err) {
    if (err instanceof UsageError) return fail(2, err.message);
    if (err instanceof ConfigError) return fail(2, err.problems.map((p) => `config: ${p}`).join('\n'));
    return fail(1, err instanceof Error ? err.message : String(err));
  } finally {
    await session?.io.close();
  }
}

async function run(
  cmd: Exclude<DlqCommand, { kind: 'help' }>,
  session: Session,
  term: Terminal,
  fix: Fix | undefined,
): Promise<number> {
  const { io, targets, cluster } = session;
  switch (cmd.kind) {
    case 'list':
      return list(cmd, io, targets, term);
    case 'inspect':
      return inspect(cmd, io, targetOf(targets, cmd.connector, cluster.name), term);
    case 'export':
      return exportRecords(cmd, io, targetOf(targets, cmd.connector, cluster.name), term);
    case 'replay': {
      const target = targetOf(targets, cmd.connector, cluster.name);
      return (await replay(cmd, { io, target, term, ...(fix ? { fix } : {}) })).code;
    }
  }
}
