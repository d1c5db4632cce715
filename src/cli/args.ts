/**
 * `connect-sentinel dlq <list|inspect|export|replay> [flags]`: the subcommand's own flags, checked and
 * typed, and every other flag handed to the sidecar's configuration loader untouched (`--config.file`,
 * `--connect.url`, `--kafka.brokers`, ...), so the CLI reads exactly the configuration the sidecar does.
 * Pure: argv in, a command or a UsageError naming the flag out.
 */
import { parseDuration } from '../config/duration.js';
import type { Filters } from './filter.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    /** The flag at fault, with its dashes (`--rate`), or the word (`frobnicate`). */
    readonly flag: string,
    problem: string,
  ) {
    super(`${flag}: ${problem}`);
  }
}

export type Output = 'table' | 'json';

interface Common {
  readonly cluster?: string;
  /** Unset: a table on a terminal, JSON lines otherwise. */
  readonly output?: Output;
  /** Flags for the sidecar's loader. */
  readonly sidecarArgv: readonly string[];
}

interface Selected extends Common {
  readonly connector: string;
  readonly filters: Filters;
}

export type DlqCommand =
  | { readonly kind: 'help'; readonly text: string }
  | (Common & { readonly kind: 'list'; readonly sample: number })
  | (Selected & { readonly kind: 'inspect'; readonly showPayload: boolean })
  | (Selected & { readonly kind: 'export'; readonly out: string })
  | (Selected & {
      readonly kind: 'replay';
      readonly to?: string;
      readonly fix?: string;
      readonly maxReplays: number;
      readonly reviewFile: string;
      readonly group: string;
      readonly fromBeginning: boolean;
      readonly dryRun: boolean;
      /** Records per second at most. */
      readonly rate?: number;
    });

type Sub = 'list' | 'inspect' | 'export' | 'replay';
type FlagKind = 'bool' | 'value';

const COMMON: Record<string, FlagKind> = { cluster: 'value', output: 'value', help: 'bool' };
const FILTERS: Record<string, FlagKind> = {
  connector: 'value',
  stage: 'value',
  'exception-class': 'value',
  'original-topic': 'value',
  since: 'value',
  until: 'value',
  partition: 'value',
  offset: 'value',
  limit: 'value',
};
const FLAGS: Record<Sub, Record<string, FlagKind>> = {
  list: { ...COMMON, sample: 'value' },
  inspect: { ...COMMON, ...FILTERS, 'show-payload': 'bool' },
  export: { ...COMMON, ...FILTERS, out: 'value' },
  replay: {
    ...COMMON,
    ...FILTERS,
    to: 'value',
    fix: 'value',
    'max-replays': 'value',
    'review-file': 'value',
    group: 'value',
    'from-beginning': 'bool',
    'dry-run': 'bool',
    rate: 'value',
  },
};

const STAGES = [
  'KEY_CONVERTER',
  'VALUE_CONVERTER',
  'HEADER_CONVERTER',
  'TRANSFORMATION',
  'TASK_PUT',
  'TASK_POLL',
  'KAFKA_PRODUCE',
  'KAFKA_CONSUME',
  'unknown',
];

const CONNECTION = `Connection flags are the sidecar's (see connect-sentinel --help): --config.file PATH,
--connect.url URL, --kafka.brokers HOST:PORT, their TLS/SASL flags and environment variables.
--cluster NAME picks one of several configured clusters (default: the only one).`;

const FILTER_HELP = `  --connector NAME           the sink whose DLQ to read (required)
  --stage STAGE[,STAGE]      ${STAGES.join(', ')}
  --exception-class REGEX    matched against the exception's Java class name
  --original-topic TOPIC     the topic the failed record was consumed from
  --since TIME, --until TIME an ISO date/time, or a duration back from now (30m, 2h, 7d);
                             on the DLQ record's timestamp, which Connect copies from the failed input
  --partition N              one DLQ partition
  --offset N | A..B | A.. | ..B   DLQ offsets (inclusive)
  --limit N                  at most N matching records`;

export const HELP: Record<Sub | 'dlq', string> = {
  dlq: `usage: connect-sentinel dlq <command> [flags]

Work the dead letter queues of the sink connectors of a Connect cluster.

Commands:
  list      connectors with a DLQ: topic, depth, growth in the last hour, top reasons
  inspect   the DLQ records of a connector, one per line, with filters
  export    the same records as JSON lines with every header, to a file, for review
  replay    republish DLQ records to their original topic, optionally through a fix

connect-sentinel dlq <command> --help shows a command's flags.
${CONNECTION}
`,
  list: `usage: connect-sentinel dlq list [flags]

Connectors with a DLQ: topic, records retained, records whose timestamp is in the last hour, and the
most frequent stage/exception class among the newest records.

  --sample N                 newest records read per DLQ for the top reasons (default 1000)
  --output table|json        default: a table on a terminal, JSON lines otherwise
${CONNECTION}
`,
  inspect: `usage: connect-sentinel dlq inspect --connector NAME [filters] [flags]

One DLQ record per line: partition, offset, timestamp, stage, exception class and message, original
topic/partition/offset.

${FILTER_HELP}
  --show-payload             add key and value (UTF-8 text, else base64)
  --output table|json        default: a table on a terminal, JSON lines otherwise
${CONNECTION}
`,
  export: `usage: connect-sentinel dlq export --connector NAME --out FILE [filters]

The matching DLQ records as JSON lines, with key, value and every header, for review. FILE "-" is stdout.

${FILTER_HELP}
${CONNECTION}
`,
  replay: `usage: connect-sentinel dlq replay --connector NAME [filters] [flags]

Republishes each matching DLQ record to its original topic (the __connect.errors.topic header) with its
key, value and non-error headers, plus connect-sentinel.replay.count and the DLQ coordinates it came
from. Progress is kept in a consumer group, committed after the broker acknowledged the records, so a
second run resumes where the first stopped and republishes nothing twice. The DLQ is never written to.

${FILTER_HELP}
  --to TOPIC                 republish to TOPIC instead of each record's original topic
  --fix MODULE               a JavaScript module whose default export is (record) => record | null
                             (may be async); null leaves the record for review
  --max-replays N            records replayed N times already go to the review file (default 3)
  --review-file FILE         where records left for review are appended as JSON lines
                             (default dlq-review-<connector>.jsonl)
  --group ID                 the consumer group keeping the position (default connect-sentinel-replay-<connector>)
  --from-beginning           start at the DLQ's first record, whatever the group has
  --dry-run                  show what would be sent; send, commit and write nothing
  --rate N                   records per second at most
  --output table|json        the per-record lines of --dry-run and the summary (default: table on a terminal)

Exit status: 0 when every record was handled (republished, skipped or sent to review), 1 when a
record could not be republished or Kafka failed (rerun to resume), 2 on bad flags or configuration.
${CONNECTION}
`,
};

/** Splits argv (after `dlq`) into the command and the sidecar's flags; throws UsageError. */
export function parseDlqArgs(argv: readonly string[], now: number = Date.now()): DlqCommand {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help')
    return { kind: 'help', text: HELP.dlq };
  if (!(sub in FLAGS)) {
    throw new UsageError(sub, `unknown command (one of ${Object.keys(FLAGS).join(', ')}; see dlq --help)`);
  }
  const command = sub as Sub;
  const known = FLAGS[command];
  const own = new Map<string, string>();
  const sidecarArgv: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '-h') return { kind: 'help', text: HELP[command] };
    if (!arg.startsWith('--')) throw new UsageError(arg, 'unexpected argument (flags start with --)');
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const kind = known[name];
    if (kind === undefined) {
      if (Object.values(FLAGS).some((f) => name in f))
        throw new UsageError(`--${name}`, `not a flag of dlq ${command} (see dlq ${command} --help)`);
      // Not ours: the sidecar's loader judges it (and its value, when given as the next word).
      sidecarArgv.push(arg);
      const next = rest[i + 1];
      if (eq < 0 && next !== undefined && !next.startsWith('--')) {
        sidecarArgv.push(next);
        i++;
      }
      continue;
    }
    if (name === 'help') return { kind: 'help', text: HELP[command] };
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (kind === 'bool') value = 'true';
    else {
      const next = rest[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name}`, 'needs a value');
      value = next;
      i++;
    }
    if (own.has(name)) throw new UsageError(`--${name}`, 'given twice');
    own.set(name, value);
  }
  const flags = new Flags(own);
  const common: Common = {
    ...flags.opt('cluster', (v) => v),
    ...flags.opt('output', (v) => oneOf(v, ['table', 'json'] as const)),
    sidecarArgv,
  };
  switch (command) {
    case 'list':
      return { kind: 'list', ...common, sample: flags.opt('sample', (v) => int(v, 1))?.sample ?? 1000 };
    case 'inspect':
      return {
        kind: 'inspect',
        ...common,
        ...selected(flags, now),
        showPayload: flags.bool('show-payload'),
      };
    case 'export': {
      const out = flags.opt('out', (v) => nonEmpty(v))?.out;
      if (out === undefined) throw new UsageError('--out', 'required: the file to write (- for stdout)');
      return { kind: 'export', ...common, ...selected(flags, now), out };
    }
    case 'replay': {
      const sel = selected(flags, now);
      return {
        kind: 'replay',
        ...common,
        ...sel,
        ...flags.opt('to', (v) => nonEmpty(v)),
        ...flags.opt('fix', (v) => nonEmpty(v)),
        maxReplays: flags.opt('max-replays', (v) => int(v, 1))?.['max-replays'] ?? 3,
        reviewFile:
          flags.opt('review-file', (v) => nonEmpty(v))?.['review-file'] ??
          `dlq-review-${sel.connector}.jsonl`,
        group: flags.opt('group', (v) => nonEmpty(v))?.group ?? `connect-sentinel-replay-${sel.connector}`,
        fromBeginning: flags.bool('from-beginning'),
        dryRun: flags.bool('dry-run'),
        ...flags.opt('rate', (v) => positive(v)),
      };
    }
  }
}

/** Flag values by name, each parsed once with the flag named in any error. */
class Flags {
  constructor(private readonly values: ReadonlyMap<string, string>) {}

  opt<K extends string, T>(name: K, parse: (v: string) => T): { [P in K]: T } | undefined {
    const raw = this.values.get(name);
    if (raw === undefined) return undefined;
    try {
      return { [name]: parse(raw) } as { [P in K]: T };
    } catch (err) {
      throw new UsageError(`--${name}`, (err as Error).message);
    }
  }

  bool(name: string): boolean {
    const raw = this.values.get(name);
    if (raw === undefined) return false;
    if (/^true$/i.test(raw)) return true;
    if (/^false$/i.test(raw)) return false;
    throw new UsageError(`--${name}`, `"${raw}" is not true or false`);
  }
}

function selected(flags: Flags, now: number): { connector: string; filters: Filters } {
  const connector = flags.opt('connector', (v) => nonEmpty(v))?.connector;
  if (connector === undefined) throw new UsageError('--connector', 'required: the sink whose DLQ to read');
  const since = flags.opt('since', (v) => time(v, now))?.since;
  const until = flags.opt('until', (v) => time(v, now))?.until;
  if (since !== undefined && until !== undefined && since > until)
    throw new UsageError('--until', 'is before --since');
  const stages = flags.opt('stage', (v) => new Set(v.split(',').map(stage)))?.stage;
  const exceptionClass = flags.opt('exception-class', (v) => regex(v))?.['exception-class'];
  const originalTopic = flags.opt('original-topic', (v) => nonEmpty(v))?.['original-topic'];
  const filters: Filters = {
    ...(stages !== undefined ? { stage: stages } : {}),
    ...(exceptionClass !== undefined ? { exceptionClass } : {}),
    ...(originalTopic !== undefined ? { originalTopic } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...flags.opt('partition', (v) => int(v, 0)),
    ...flags.opt('offset', (v) => offsets(v)),
    ...flags.opt('limit', (v) => int(v, 1)),
  };
  return { connector, filters };
}

function nonEmpty(v: string): string {
  if (v.trim() === '') throw new Error('is empty');
  return v;
}

function int(v: string, min: number): number {
  if (!/^\d{1,15}$/.test(v.trim())) throw new Error(`"${v}" is not a whole number`);
  const n = Number(v.trim());
  if (n < min) throw new Error(`${n} is below the minimum ${min}`);
  return n;
}

function positive(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new Error(`"${v}" is not a number above 0`);
  return n;
}

function oneOf<T extends string>(v: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(v))
    throw new Error(`"${v}" is not one of ${values.join(', ')}`);
  return v as T;
}

function stage(v: string): string {
  const s = v.trim();
  const found = STAGES.find((x) => x.toLowerCase() === s.toLowerCase());
  if (!found) throw new Error(`"${s}" is not a stage (${STAGES.join(', ')})`);
  return found;
}

function regex(v: string): RegExp {
  try {
    return new RegExp(v);
  } catch (err) {
    throw new Error(`not a regular expression: ${(err as Error).message}`);
  }
}

/** An ISO date/time, or a duration back from `now`. */
function time(v: string, now: number): number {
  const ago = parseDuration(v);
  if (ago !== undefined) return now - ago;
  if (/^\d{4}-\d{2}-\d{2}/.test(v.trim())) {
    const t = Date.parse(v.trim());
    if (Number.isFinite(t)) return t;
  }
  throw new Error(`"${v}" is neither an ISO date/time (2024-05-01T12:00:00Z) nor a duration (30m, 2h, 7d)`);
}

function offsets(v: string): { from?: number; to?: number } {
  const m = /^(\d{0,15})(?:\.\.(\d{0,15}))?$/.exec(v.trim());
  if (!m || (m[1] === '' && (m[2] ?? '') === '') || (m[2] === undefined && m[1] === ''))
    throw new Error(`"${v}" is not N, A..B, A.. or ..B`);
  const from = m[1] === '' ? undefined : Number(m[1]);
  const to = m[2] === undefined ? from : m[2] === '' ? undefined : Number(m[2]);
  if (from !== undefined && to !== undefined && to < from) throw new Error(`${to} is below ${from}`);
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}
