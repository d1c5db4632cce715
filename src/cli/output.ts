/**
 * How the dlq commands print: one JSON object per line for machines, fixed-width rows for a terminal, the
 * replay summary and its progress bar. Pure: values in, strings out.
 */
import { payloadJson, type DlqRecordIn, type ErrantContext, type HeaderValue } from '../kafka/dlq-headers.js';

type Payload = ReturnType<typeof payloadJson>;

/** What `inspect` shows of a record. */
export interface InspectRow {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: string | null;
  readonly stage: string;
  readonly exceptionClass: string;
  readonly exceptionMessage: string | null;
  readonly original: { readonly topic: string; readonly partition?: number; readonly offset?: number } | null;
  readonly key?: Payload;
  readonly value?: Payload;
}

export function inspectRow(rec: DlqRecordIn, ctx: ErrantContext, showPayload: boolean): InspectRow {
  return {
    partition: rec.partition,
    offset: rec.offset,
    timestamp: isoOrNull(rec.timestamp),
    stage: ctx.stage,
    exceptionClass: ctx.exceptionClass,
    exceptionMessage: ctx.exceptionMessage ?? null,
    original: ctx.original ?? null,
    ...(showPayload ? { key: payloadJson(rec.key, Infinity), value: payloadJson(rec.value, Infinity) } : {}),
  };
}

/** What `export` and the review file hold: everything, so a person can decide without the DLQ. */
export function exportRecord(
  rec: DlqRecordIn,
  ctx: ErrantContext,
  extra: Record<string, unknown> = {},
): object {
  return {
    ...extra,
    dlq: {
      topic: rec.topic,
      partition: rec.partition,
      offset: rec.offset,
      timestamp: isoOrNull(rec.timestamp),
    },
    stage: ctx.stage,
    exceptionClass: ctx.exceptionClass,
    exceptionMessage: ctx.exceptionMessage ?? null,
    executingClass: ctx.executingClass ?? null,
    connector: ctx.connector ?? null,
    taskId: ctx.taskId ?? null,
    original: ctx.original ?? null,
    key: payloadJson(rec.key, Infinity),
    value: payloadJson(rec.value, Infinity),
    headers: headersJson(rec.headers),
  };
}

/** Header values as text when UTF-8, else `{ base64 }`; a repeated header keeps every value. */
export function headersJson(headers: Readonly<Record<string, HeaderValue>>): Record<string, unknown> {
  const one = (v: Buffer | string | null | undefined): unknown => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return v;
    const p = payloadJson(v, Infinity);
    return p?.encoding === 'utf8' ? p.text : { base64: v.toString('base64') };
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers))
    out[k] = Array.isArray(v)
      ? v.map((x: Buffer | string | null) => one(x))
      : one(v as Buffer | string | null);
  return out;
}

export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** A row of fixed-width columns; the last column takes what is left of `width`. */
export function row(cells: readonly string[], widths: readonly number[], width: number): string {
  let line = '';
  for (const [i, cell] of cells.entries()) {
    const w = widths[i];
    if (w === undefined) {
      line += fit(cell, Math.max(10, width - line.length));
      break;
    }
    line += `${fit(cell, w).padEnd(w)} `;
  }
  return `${line.trimEnd()}\n`;
}

/** One line: newlines flattened, cut with an ellipsis. */
export function fit(text: string, width: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ⏎ ');
  return flat.length > width ? `${flat.slice(0, Math.max(0, width - 1))}…` : flat;
}

export const INSPECT_WIDTHS = [4, 10, 24, 16, 28, 32] as const;
export const INSPECT_HEADER = [
  'P',
  'OFFSET',
  'TIMESTAMP',
  'STAGE',
  'EXCEPTION',
  'ORIGINAL',
  'MESSAGE',
] as const;

export function inspectCells(r: InspectRow): string[] {
  const cells = [
    String(r.partition),
    String(r.offset),
    r.timestamp ?? '-',
    r.stage,
    shortClass(r.exceptionClass),
    r.original ? `${r.original.topic}/${r.original.partition ?? '?'}@${r.original.offset ?? '?'}` : '-',
    r.exceptionMessage ?? '',
  ];
  // The payload first: a long exception message would push it off the line.
  if (r.key !== undefined || r.value !== undefined)
    cells[6] = `key=${payloadText(r.key)} value=${payloadText(r.value)}  ${cells[6]}`;
  return cells;
}

/** `org.apache.kafka.connect.errors.DataException` → `DataException`: the package rarely tells anything. */
export function shortClass(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot >= 0 ? name.slice(dot + 1) : name;
}

function payloadText(p: Payload | undefined): string {
  if (p === null || p === undefined) return 'null';
  return p.encoding === 'utf8' ? JSON.stringify(p.text) : `base64:${p.text}`;
}

function isoOrNull(ms: number): string | null {
  return Number.isFinite(ms) && ms >= 0 ? new Date(ms).toISOString() : null;
}

export interface ReplaySummary {
  read: number;
  republished: number;
  skippedByFilter: number;
  /** Sent by an earlier run whose commit did not happen: recognized in the target topic, not sent again. */
  alreadyRepublished: number;
  review: number;
  failed: number;
}

export function emptySummary(): ReplaySummary {
  return { read: 0, republished: 0, skippedByFilter: 0, alreadyRepublished: 0, review: 0, failed: 0 };
}

export function summaryText(s: ReplaySummary, dryRun: boolean): string {
  const would = dryRun ? 'would be ' : '';
  return (
    `read ${s.read}, ${would}republished ${s.republished}, skipped by filter ${s.skippedByFilter}, ` +
    `${s.alreadyRepublished > 0 ? `already republished ${s.alreadyRepublished}, ` : ''}` +
    `${would}sent to review ${s.review}, failed ${s.failed}${dryRun ? ' (dry run: nothing sent, committed or written)' : ''}\n`
  );
}

/** `[#######.............]  1234/5000  24%  812 rec/s` for a terminal's status line. */
export function progressBar(done: number, total: number, elapsedMs: number, width: number): string {
  const pct = total > 0 ? Math.min(1, done / total) : 1;
  const rate = elapsedMs > 0 ? Math.round((done * 1000) / elapsedMs) : 0;
  const tail = ` ${done}/${total} ${Math.floor(pct * 100)}% ${rate} rec/s`;
  const bar = Math.max(10, Math.min(40, width - tail.length - 3));
  const filled = Math.round(pct * bar);
  return `[${'#'.repeat(filled)}${'.'.repeat(bar - filled)}]${tail}`;
}

export interface ListRow {
  readonly connector: string;
  readonly topic: string;
  /** Records retained; null when the topic does not exist (yet). */
  readonly records: number | null;
  /** Records whose timestamp is within the last hour. */
  readonly lastHour: number | null;
  readonly topReasons: readonly { stage: string; exceptionClass: string; count: number }[];
  readonly sampled: number;
  readonly problem: string | null;
}

export const LIST_WIDTHS = [28, 32, 9, 9] as const;
export const LIST_HEADER = [
  'CONNECTOR',
  'TOPIC',
  'RECORDS',
  'LAST 1H',
  'TOP REASONS (newest records)',
] as const;

export function listCells(r: ListRow): string[] {
  const reasons =
    r.problem ??
    (r.topReasons.length === 0
      ? '-'
      : r.topReasons.map((t) => `${t.stage} ${shortClass(t.exceptionClass)} ×${t.count}`).join(', ') +
        ` (of ${r.sampled})`);
  return [
    r.connector,
    r.topic,
    r.records === null ? '-' : String(r.records),
    r.lastHour === null ? '-' : String(r.lastHour),
    reasons,
  ];
}
