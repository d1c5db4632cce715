/**
 * `dlq replay`: reads a connector's DLQ from the group's position, republishes each matching record to
 * its original topic (through the user's fix, when given), appends the ones left for review to the
 * review file, and commits the position after the broker acknowledged the records. Records that arrive
 * in the DLQ during the run (a replayed record failing again) wait for the next run: the run ends at the
 * end offsets it saw when it started.
 */
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { parseContext, type DlqRecordIn, type ErrantContext } from '../kafka/dlq-headers.js';
import type { DlqTarget } from '../kafka/discovery.js';
import { UsageError, type DlqCommand } from './args.js';
import { alreadySent, decodeInFlight, encodeInFlight, type InFlight } from './checkpoint.js';
import { matches, ranges } from './filter.js';
import type { Fix } from './fix-module.js';
import type { KafkaIo } from './kafka-io.js';
import {
  emptySummary,
  exportRecord,
  jsonLine,
  progressBar,
  row,
  summaryText,
  type ReplaySummary,
} from './output.js';
import { decide, prepare, type Decision, type OutMessage, type PlanOptions } from './plan.js';
import type { Terminal } from './terminal.js';

type ReplayCommand = Extract<DlqCommand, { kind: 'replay' }>;

export interface ReplayDeps {
  readonly io: KafkaIo;
  readonly target: DlqTarget;
  readonly fix?: Fix;
  readonly term: Terminal;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Records handled between two commits at most (fewer with --rate, so the pace is smooth). */
const STEP_RECORDS = 5000;

export async function replay(
  cmd: ReplayCommand,
  deps: ReplayDeps,
): Promise<{ code: number; summary: ReplaySummary }> {
  const { io, target, term } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const summary = emptySummary();
  const dlqTopic = target.topic;
  if (cmd.to === dlqTopic)
    throw new UsageError('--to', `${dlqTopic} is the DLQ itself; the DLQ is never written to`);
  if (cmd.to !== undefined && !(await io.layout(cmd.to)))
    throw new UsageError('--to', `topic ${cmd.to} does not exist`);
  if (!target.contextHeaders && cmd.to === undefined)
    throw new UsageError(
      '--to',
      `${target.connector} writes no context headers (errors.deadletterqueue.context.headers.enable=false), so its DLQ records do not say their topic: name it with --to`,
    );
  const layout = await io.layout(dlqTopic);
  if (!layout) {
    term.err(`DLQ topic ${dlqTopic} does not exist (yet): nothing to replay\n`);
    term.out(summaryOut(summary, cmd, term));
    return { code: 0, summary };
  }

  const bounds = await io.bounds(layout);
  const committed = cmd.fromBeginning ? new Map() : await io.positions(cmd.group, layout);
  const inFlight = new Map<number, InFlight>();
  for (const [p, c] of committed) {
    const f = decodeInFlight(c.metadata);
    if (f) inFlight.set(p, f);
  }
  const done =
    inFlight.size > 0
      ? await alreadySent(io, dlqTopic, inFlight, await topicsOf(io, layout, inFlight, cmd.to))
      : new Set<string>();
  const carried = new Map(inFlight);
  const position = new Map<number, number>();
  const toRead = ranges(
    bounds.map((b) => {
      const c = committed.get(b.partition)?.offset ?? -1;
      const start = c >= 0 ? Math.min(b.end, Math.max(b.start, c)) : b.start;
      position.set(b.partition, start);
      return { partition: b.partition, start, end: b.end };
    }),
    cmd.filters,
  );
  for (const r of toRead) position.set(r.partition, r.from);
  const reader = io.reader(layout, toRead);
  const total = reader.remaining;
  const review = cmd.dryRun ? undefined : new ReviewFile(cmd.reviewFile, dlqTopic);
  const plan: PlanOptions = {
    dlqTopic,
    maxReplays: cmd.maxReplays,
    ...(cmd.to !== undefined ? { to: cmd.to } : {}),
  };
  const step = cmd.rate !== undefined ? Math.max(1, Math.floor(cmd.rate / 4)) : STEP_RECORDS;
  const started = now();
  const progress = new Progress(term, total, started, now, term.errIsTty && !cmd.dryRun);
  let matched = 0;
  let handled = 0;
  const limit = cmd.filters.limit ?? Infinity;

  try {
    outer: for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
      const partition = chunk.partition;
      for (let i = 0; i < chunk.records.length || chunk.records.length === 0; i += step) {
        const piece = chunk.records.slice(i, i + step);
        const messages: OutMessage[] = [];
        const reviews: { rec: DlqRecordIn; reason: string }[] = [];
        let last: number | undefined;
        let stop = false;
        for (const rec of piece) {
          const ctx = parseContext(rec.headers);
          if (!matches(rec, ctx, cmd.filters)) {
            summary.read++;
            summary.skippedByFilter++;
            last = rec.offset;
            continue;
          }
          if (matched >= limit) {
            stop = true;
            break;
          }
          summary.read++;
          matched++;
          last = rec.offset;
          if (done.has(`${rec.partition}:${rec.offset}`)) {
            summary.alreadyRepublished++;
            continue;
          }
          const decision = await decideOne(rec, ctx, plan, deps.fix);
          if (decision.kind === 'republish') messages.push(decision.message);
          else reviews.push({ rec, reason: decision.reason });
          if (cmd.dryRun) term.out(dryRunLine(rec, decision, cmd.output ?? term.defaultOutput));
        }
        const from = position.get(partition) ?? 0;
        const next =
          !stop && i + step >= chunk.records.length ? chunk.next : last === undefined ? from : last + 1;
        if (!cmd.dryRun) {
          if (messages.length > 0) {
            // While this run redoes a stopped run's range, its marker keeps that run's time and topics:
            // should this run stop too, the next one still looks far enough back.
            const old = carried.get(partition);
            const overlaps = old !== undefined && from < old.to;
            const marker = encodeInFlight({
              from,
              to: Math.max(next, overlaps ? old.to : next),
              at: overlaps ? Math.min(old.at, now()) : now(),
              topics: [...new Set([...(overlaps ? old.topics : []), ...messages.map((m) => m.topic)])],
            });
            await io.commit(cmd.group, dlqTopic, [{ partition, offset: from, metadata: marker }]);
            try {
              await io.send(messages);
            } catch (err) {
              summary.failed += messages.length;
              throw err;
            }
            summary.republished += messages.length;
          }
          review?.append(
            reviews.map((r) => exportRecord(r.rec, parseContext(r.rec.headers), { reason: r.reason })),
          );
          if (next > from) await io.commit(cmd.group, dlqTopic, [{ partition, offset: next }]);
          if (next >= (carried.get(partition)?.to ?? Infinity)) carried.delete(partition);
        }
        position.set(partition, next);
        if (cmd.dryRun) summary.republished += messages.length;
        summary.review += reviews.length;
        handled += piece.length;
        progress.show(handled);
        if (cmd.rate !== undefined && messages.length > 0) {
          const due = started + (summary.republished * 1000) / cmd.rate;
          if (due > now()) await sleep(due - now());
        }
        if (stop) break outer;
        if (chunk.records.length === 0) break;
      }
    }
  } catch (err) {
    progress.clear();
    term.err(`connect-sentinel dlq replay: ${err instanceof Error ? err.message : String(err)}\n`);
    term.err(
      `the position of group ${cmd.group} was kept at the last acknowledged record; run the same command again to resume (records already written are recognized and not sent twice)\n`,
    );
    term.out(summaryOut(summary, cmd, term));
    review?.close();
    return { code: 1, summary };
  }
  progress.clear();
  review?.close();
  if (summary.review > 0 && !cmd.dryRun)
    term.err(`${summary.review} record(s) left for review in ${cmd.reviewFile}\n`);
  term.out(summaryOut(summary, cmd, term));
  return { code: summary.failed > 0 ? 1 : 0, summary };
}

function summaryOut(summary: ReplaySummary, cmd: ReplayCommand, term: Terminal): string {
  const json = (cmd.output ?? term.defaultOutput) === 'json';
  return json ? jsonLine({ summary, dryRun: cmd.dryRun }) : summaryText(summary, cmd.dryRun);
}

/** The fix's verdict on one matching record (a fix that throws leaves the record for review). */
async function decideOne(
  rec: DlqRecordIn,
  ctx: ErrantContext,
  plan: PlanOptions,
  fix: Fix | undefined,
): Promise<Decision> {
  const prepared = prepare(rec, ctx, plan);
  if (prepared.kind === 'review') return prepared;
  if (!fix) return decide(prepared.record, prepared.record, plan);
  let fixed: unknown;
  try {
    fixed = await fix(prepared.record);
  } catch (err) {
    return { kind: 'review', reason: `the fix threw: ${err instanceof Error ? err.message : String(err)}` };
  }
  return decide(fixed, prepared.record, plan);
}

/** Target topics of in-flight records whose marker could not list them: `--to`, or their original topics. */
async function topicsOf(
  io: KafkaIo,
  layout: Parameters<KafkaIo['reader']>[0],
  inFlight: ReadonlyMap<number, InFlight>,
  to: string | undefined,
): Promise<string[]> {
  if (to !== undefined) return [to];
  const unlisted = [...inFlight].filter(([, f]) => f.topics.length === 0);
  if (unlisted.length === 0) return [];
  const topics = new Set<string>();
  const reader = io.reader(
    layout,
    unlisted.map(([partition, f]) => ({ partition, from: f.from, end: f.to })),
  );
  for (let chunk = await reader.next(); chunk; chunk = await reader.next())
    for (const rec of chunk.records) {
      const t = parseContext(rec.headers).original?.topic;
      if (t) topics.add(t);
    }
  return [...topics];
}

function dryRunLine(rec: DlqRecordIn, d: Decision, output: 'table' | 'json'): string {
  const head = { partition: rec.partition, offset: rec.offset };
  if (output === 'json')
    return jsonLine(
      d.kind === 'republish'
        ? {
            ...head,
            action: 'republish',
            topic: d.message.topic,
            key: d.message.key?.toString('utf8') ?? null,
            value: d.message.value?.toString('utf8') ?? null,
          }
        : { ...head, action: 'review', reason: d.reason },
    );
  return row(
    [
      String(rec.partition),
      String(rec.offset),
      d.kind,
      d.kind === 'republish'
        ? `→ ${d.message.topic}: ${d.message.value?.toString('utf8') ?? 'null'}`
        : d.reason,
    ],
    [4, 10, 10],
    160,
  );
}

/**
 * The review file: one JSON line per record left for review, appended and flushed to disk before the
 * position moves past it. A record already in the file (a rerun after a stop) is not appended again.
 */
class ReviewFile {
  private fd: number | undefined;
  private readonly seen = new Set<string>();

  constructor(
    private readonly path: string,
    private readonly dlqTopic: string,
  ) {
    if (!existsSync(path)) return;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      try {
        const d = (JSON.parse(line) as { dlq?: { topic?: string; partition?: number; offset?: number } }).dlq;
        if (d?.topic === dlqTopic) this.seen.add(`${d.partition}:${d.offset}`);
      } catch {
        // not one of ours: left as it is
      }
    }
  }

  append(entries: readonly object[]): void {
    const lines = entries.filter((e) => {
      const d = (e as { dlq: { topic: string; partition: number; offset: number } }).dlq;
      const k = `${d.partition}:${d.offset}`;
      if (d.topic !== this.dlqTopic || this.seen.has(k)) return false;
      this.seen.add(k);
      return true;
    });
    if (lines.length === 0) return;
    this.fd ??= openSync(this.path, 'a');
    writeSync(this.fd, lines.map(jsonLine).join(''));
    fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A status line on a terminal's stderr, redrawn at most 5 times a second; nothing on a pipe or a file. */
class Progress {
  private shownAt = 0;
  private drawn = false;

  constructor(
    private readonly term: Terminal,
    private readonly total: number,
    private readonly started: number,
    private readonly now: () => number,
    /** Off in a dry run: its per-record lines on the same terminal are the progress. */
    private readonly enabled: boolean,
  ) {}

  show(done: number): void {
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.shownAt < 200 && done < this.total) return;
    this.shownAt = t;
    this.drawn = true;
    this.term.err(`\r${progressBar(done, this.total, t - this.started, this.term.columns)}`);
  }

  clear(): void {
    if (this.drawn) this.term.err(`\r${' '.repeat(this.term.columns - 1)}\r`);
    this.drawn = false;
  }
}
