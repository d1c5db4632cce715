/**
 * `dlq list`: every sink with a DLQ: the records it holds, how many have a timestamp in the last hour
 * (Connect copies the failed input's timestamp, so this is "recent inputs that failed", see docs/dlq.md),
 * and the most frequent stage and exception class among its newest records.
 */
import { parseContext } from '../kafka/dlq-headers.js';
import type { DlqTarget } from '../kafka/discovery.js';
import type { DlqCommand } from './args.js';
import type { KafkaIo } from './kafka-io.js';
import { jsonLine, LIST_HEADER, LIST_WIDTHS, listCells, row, type ListRow } from './output.js';
import type { Terminal } from './terminal.js';

type ListCommand = Extract<DlqCommand, { kind: 'list' }>;

const HOUR_MS = 3_600_000;
const TOP = 3;

export async function list(
  cmd: ListCommand,
  io: KafkaIo,
  targets: readonly DlqTarget[],
  term: Terminal,
  now: () => number = Date.now,
): Promise<number> {
  const table = (cmd.output ?? term.defaultOutput) === 'table';
  if (table) term.out(row(LIST_HEADER, LIST_WIDTHS, term.columns));
  for (const t of targets) {
    const r = await listRow(io, t, cmd.sample, now());
    term.out(table ? row(listCells(r), LIST_WIDTHS, term.columns) : jsonLine(r));
  }
  if (targets.length === 0) term.err('no sink connector has a dead letter queue\n');
  return 0;
}

async function listRow(io: KafkaIo, t: DlqTarget, sample: number, now: number): Promise<ListRow> {
  const base = { connector: t.connector, topic: t.topic };
  const layout = await io.layout(t.topic);
  if (!layout)
    return {
      ...base,
      records: null,
      lastHour: null,
      topReasons: [],
      sampled: 0,
      problem: 'topic does not exist (yet)',
    };
  const [bounds, hourAgo] = await Promise.all([io.bounds(layout), io.offsetsAt(layout, now - HOUR_MS)]);
  let records = 0;
  let lastHour = 0;
  for (const b of bounds) {
    records += b.end - b.start;
    const at = hourAgo.get(b.partition) ?? -1;
    if (at >= 0) lastHour += Math.max(0, b.end - Math.max(at, b.start));
  }
  // The newest `sample` records, shared out over the partitions that hold any.
  const nonEmpty = bounds.filter((b) => b.end > b.start);
  const each = Math.ceil(sample / Math.max(1, nonEmpty.length));
  const reader = io.reader(
    layout,
    nonEmpty.map((b) => ({ partition: b.partition, from: Math.max(b.start, b.end - each), end: b.end })),
  );
  const counts = new Map<string, number>();
  let sampled = 0;
  for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
    for (const rec of chunk.records) {
      const ctx = parseContext(rec.headers);
      const k = `${ctx.stage}\u0000${ctx.exceptionClass}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      sampled++;
    }
  }
  const topReasons = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP)
    .map(([k, count]) => {
      const [stage, exceptionClass] = k.split('\u0000') as [string, string];
      return { stage, exceptionClass, count };
    });
  return { ...base, records, lastHour, topReasons, sampled, problem: null };
}
