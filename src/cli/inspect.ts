/**
 * `dlq inspect` and `dlq export`: the matching records of a connector's DLQ, read from its first record
 * to the end offsets seen at the start, one per line. Inspect shows why each failed (a table or JSON
 * lines); export writes everything, headers and payload included, as JSON lines for review.
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { parseContext, type DlqRecordIn, type ErrantContext } from '../kafka/dlq-headers.js';
import type { DlqTarget } from '../kafka/discovery.js';
import type { DlqCommand } from './args.js';
import { matches, ranges, type Filters } from './filter.js';
import type { KafkaIo } from './kafka-io.js';
import {
  exportRecord,
  INSPECT_HEADER,
  INSPECT_WIDTHS,
  inspectCells,
  inspectRow,
  jsonLine,
  row,
} from './output.js';
import type { Terminal } from './terminal.js';

type InspectCommand = Extract<DlqCommand, { kind: 'inspect' }>;
type ExportCommand = Extract<DlqCommand, { kind: 'export' }>;

/** Calls `each` for every matching record, --limit at most; returns how many matched. */
async function forEachMatching(
  io: KafkaIo,
  target: DlqTarget,
  filters: Filters,
  term: Terminal,
  each: (rec: DlqRecordIn, ctx: ErrantContext) => void,
): Promise<number> {
  const layout = await io.layout(target.topic);
  if (!layout) {
    term.err(`DLQ topic ${target.topic} does not exist (yet): no record of ${target.connector} has failed\n`);
    return 0;
  }
  const reader = io.reader(layout, ranges(await io.bounds(layout), filters));
  const limit = filters.limit ?? Infinity;
  let n = 0;
  for (let chunk = await reader.next(); chunk && n < limit; chunk = await reader.next()) {
    for (const rec of chunk.records) {
      const ctx = parseContext(rec.headers);
      if (!matches(rec, ctx, filters)) continue;
      each(rec, ctx);
      if (++n >= limit) break;
    }
  }
  return n;
}

export async function inspect(
  cmd: InspectCommand,
  io: KafkaIo,
  target: DlqTarget,
  term: Terminal,
): Promise<number> {
  const table = (cmd.output ?? term.defaultOutput) === 'table';
  if (table) term.out(row(INSPECT_HEADER, INSPECT_WIDTHS, term.columns));
  const n = await forEachMatching(io, target, cmd.filters, term, (rec, ctx) => {
    const r = inspectRow(rec, ctx, cmd.showPayload);
    term.out(table ? row(inspectCells(r), INSPECT_WIDTHS, term.columns) : jsonLine(r));
  });
  term.err(`${n} record(s) of ${target.topic}\n`);
  return 0;
}

export async function exportRecords(
  cmd: ExportCommand,
  io: KafkaIo,
  target: DlqTarget,
  term: Terminal,
): Promise<number> {
  const toStdout = cmd.out === '-';
  const fd = toStdout ? undefined : openSync(cmd.out, 'w');
  try {
    const n = await forEachMatching(io, target, cmd.filters, term, (rec, ctx) => {
      const line = jsonLine(exportRecord(rec, ctx));
      if (fd === undefined) term.out(line);
      else writeSync(fd, line);
    });
    if (fd !== undefined) fdatasyncSync(fd);
    term.err(`${n} record(s) of ${target.topic} exported${toStdout ? '' : ` to ${cmd.out}`}\n`);
    return 0;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
