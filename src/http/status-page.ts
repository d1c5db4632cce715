/**
 * One cluster's part of the status page (`GET /`), for the person on call: is the cluster watched, what is
 * wrong (failures first, each with its age, trace and runbook section), then every other connector. Pure:
 * the composition calls it at most once per publication and requests share the result. Every value from Connect or
 * Kafka goes through `markup`, which escapes it. (The tag is not called `html` so that the formatter leaves
 * the templates' whitespace alone.)
 */
import { errorHandling } from '../connect/error-handling.js';
import { CONNECTOR_STATES, type ConnectorView } from '../connect/types.js';
import { runbookUrl } from '../lib/runbook.js';
import { GROWTH_WINDOW_MS, type ClusterHistory, type Since } from '../state/history.js';
import type { RestartView } from '../state/restarts.js';
import type { DlqConnectorStatus } from '../state/dlq.js';
import {
  taskFailures,
  type ClusterSnapshot,
  type DlqErrorCount,
  type DlqTopicView,
  type SinkLagView,
} from '../state/snapshot.js';
import { Html, href, markup } from './html.js';
import { DLQ_PATH, STATUS_PATH } from './paths.js';

export interface PageCluster {
  readonly name: string;
  /** Undefined until the cluster's first poll is published. */
  readonly snapshot: ClusterSnapshot | undefined;
  readonly history: ClusterHistory | undefined;
  /** Auto-restart's settings and latest counters; undefined when it is off for the cluster. */
  readonly restart:
    | { readonly maxAttempts: number; readonly dryRun: boolean; readonly view: RestartView | undefined }
    | undefined;
}

export interface PageContext {
  /** Epoch ms the page is made at: ages are counted to it. */
  readonly now: number;
  /** Where docs/runbook.md is read from (see src/lib/runbook.ts). */
  readonly runbookBaseUrl: string;
}

/** Bounds that keep the page a page when a whole cluster fails: the JSON API has the rest. */
export const LIMITS = { cards: 100, rows: 500, failedTasks: 10, traceChars: 32 * 1024, reasons: 3 };

/** How much a finding weighs: failures first, then what a shipped alert warns about, then context. */
type Rank = 0 | 1 | 2;
interface Finding {
  readonly rank: Rank;
  /** Made only for the connectors the page shows as cards: a whole cluster may be failing. */
  readonly html: () => Html;
}

type Runbook = (alert: string) => Html;

/** The Kafka source's rows grouped by connector once per section, not searched once per connector. */
interface KafkaRows {
  readonly lag: ReadonlyMap<string, readonly SinkLagView[]>;
  readonly dlq: ReadonlyMap<string, readonly DlqTopicView[]>;
  readonly dlqErrors: ReadonlyMap<string, readonly DlqErrorCount[]>;
  readonly dlqStatus: ReadonlyMap<string, readonly DlqConnectorStatus[]>;
}

function byConnector<T extends { readonly connector: string }>(
  rows: readonly T[] | undefined,
): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows ?? []) {
    const list = out.get(row.connector);
    if (list) list.push(row);
    else out.set(row.connector, [row]);
  }
  return out;
}

// Relative links, so the page works behind a proxy that serves the sidecar under a prefix.
const statusLink = (params: Record<string, string | true>): string => href(STATUS_PATH.slice(1), params);
const dlqLink = (params: Record<string, string | true>): string => href(DLQ_PATH.slice(1), params);

/** Making a section is paused after a slice this long (ms), as the JSON documents are, so scrapes get through. */
const SLICE_MS = 4;

/** The section, whole: see clusterSectionSlices. */
export function clusterSection(c: PageCluster, ctx: PageContext): string {
  const slices = clusterSectionSlices(c, ctx);
  let r = slices.next();
  while (!r.done) r = slices.next();
  return r.value;
}

/**
 * The section, made in slices: the generator yields whenever a slice's time is up (a cluster of thousands of
 * connectors takes tens of ms) and returns the HTML.
 */
export function* clusterSectionSlices(c: PageCluster, ctx: PageContext): Generator<void, string> {
  const s = c.snapshot;
  if (s === undefined) {
    return markup`<section class="cluster"><h2>${c.name} <span class="pill muted">not polled yet</span></h2><p>The first poll of this cluster has not finished.</p></section>
`.text;
  }
  let started = performance.now();
  // Looked at every 64 connectors or rows; every card (one may hold traces of 32 KiB).
  const due = (i: number, every = 64): boolean =>
    i % every === every - 1 && performance.now() - started > SLICE_MS;
  const runbook: Runbook = (alert) =>
    markup`<a class="runbook" href="${runbookUrl(ctx.runbookBaseUrl, alert)}">runbook</a>`;
  const k = s.kafka;
  const rows: KafkaRows = {
    lag: byConnector(k?.lag),
    dlq: byConnector(k?.dlq),
    dlqErrors: byConnector(k?.dlqErrors),
    dlqStatus: byConnector(k?.dlqStatus.connectors),
  };
  const cards: { rank: Rank; con: ConnectorView; found: Finding[] }[] = [];
  const others: ConnectorView[] = [];
  const tally = new Tally();
  const connectors = s.connect.connectors;
  for (let i = 0; i < connectors.length; i++) {
    const con = connectors[i] as ConnectorView;
    tally.add(con);
    const found = findings(con, s, rows, c, ctx, runbook);
    const rank = found.reduce<Rank>((r, f) => (f.rank < r ? f.rank : r), 2);
    if (rank === 2) others.push(con);
    else cards.push({ rank, con, found });
    if (due(i)) {
      yield;
      started = performance.now();
    }
  }
  // Connectors come sorted by name, and sort() is stable: by rank, then by name.
  cards.sort((a, b) => a.rank - b.rank);
  const shown: Html[] = [];
  for (const [i, x] of cards.slice(0, LIMITS.cards).entries()) {
    shown.push(card(x.con, x.found));
    if (due(i, 1)) {
      yield;
      started = performance.now();
    }
  }
  const listed: Html[] = [];
  for (const [i, con] of others.slice(0, LIMITS.rows).entries()) {
    listed.push(row(con, rows));
    if (due(i)) {
      yield;
      started = performance.now();
    }
  }
  const more = (n: number): Html =>
    markup`<p class="more">${n} more not shown: <a href="${statusLink({ cluster: c.name, pretty: true })}">the cluster in /api/v1/status</a>.</p>`;
  const nothing = !s.connect.up
    ? markup`<p class="muted">${connectors.length === 0 ? 'Nothing known: Connect does not answer.' : 'Nothing, as of the last good poll.'}</p>`
    : markup`<p class="ok-text">Nothing: no connector or task is FAILED or UNASSIGNED, no sink is stalled, no DLQ is growing.</p>`;
  return markup`<section class="cluster">
${clusterHeader(c.name, s, ctx, runbook)}
${counts(tally)}
<h3>Needs attention <span class="muted">(${cards.length})</span></h3>
${cards.length === 0 ? nothing : shown}${cards.length > shown.length && more(cards.length - shown.length)}
<h3>Other connectors <span class="muted">(${others.length})</span></h3>
${others.length === 0 ? markup`<p class="muted">None.</p>` : table(listed)}${others.length > listed.length && more(others.length - listed.length)}
</section>
`.text;
}

function clusterHeader(name: string, s: ClusterSnapshot, ctx: PageContext, runbook: Runbook): Html {
  const c = s.connect;
  const connect = !c.up
    ? markup`<span class="pill bad">Connect down</span>`
    : c.stale
      ? markup`<span class="pill warn">Connect stale</span>`
      : markup`<span class="pill ok">Connect up</span>`;
  const k = s.kafka;
  const kafka =
    k === undefined
      ? markup`<span class="pill muted">Kafka not configured</span>`
      : k.up
        ? markup`<span class="pill ok">Kafka up</span>`
        : markup`<span class="pill bad">Kafka down</span>`;
  const banners: Html[] = [];
  if (!c.up) {
    const shown =
      c.connectors.length > 0 && c.lastSuccessAt !== undefined
        ? markup`Showing the last good poll, of ${time(c.lastSuccessAt)}.`
        : markup`No connector shown: the last good poll is older than stale-after.`;
    banners.push(
      markup`<p class="banner">The Connect REST API did not answer: ${c.error ?? 'unknown error'}. ${shown} ${runbook('KafkaConnectRestUnreachable')}</p>`,
    );
  }
  if (k !== undefined && !k.up) {
    const from = k.lastSuccessAt === undefined ? 'no read yet' : time(k.lastSuccessAt);
    banners.push(
      markup`<p class="banner">Kafka could not be read: ${k.error ?? 'unknown error'}. DLQ and lag figures are from ${from}. ${runbook('KafkaConnectKafkaUnreachable')}</p>`,
    );
  }
  const version = c.info && markup` · Kafka Connect ${c.info.version}`;
  const dlqJson =
    k !== undefined && markup` · <a href="${dlqLink({ cluster: name, pretty: true })}">DLQ JSON</a>`;
  return markup`<h2>${name} ${connect} ${kafka}</h2>
<p class="meta">Polled at ${time(s.takenAt)} (${duration(ctx.now - s.takenAt)} before this page was made), in ${c.durationSeconds.toFixed(2)} s${version} · <a href="${statusLink({ cluster: name, pretty: true })}">status JSON</a>${dlqJson}</p>
${banners}`;
}

/** Connectors and tasks counted by state, as the section's loop meets them. */
class Tally {
  readonly connectors = new Map<string, number>();
  readonly tasks = new Map<string, number>();
  connectorCount = 0;
  taskCount = 0;

  add(con: ConnectorView): void {
    this.connectorCount++;
    this.connectors.set(con.state, (this.connectors.get(con.state) ?? 0) + 1);
    for (const t of con.tasks) this.tasks.set(t.state, (this.tasks.get(t.state) ?? 0) + 1);
    this.taskCount += con.tasks.length;
  }
}

/** The tally as a table, in Connect's order of states, then any state this version does not know. */
function counts(tally: Tally): Html {
  const known: readonly string[] = CONNECTOR_STATES;
  const unknown = [...new Set([...tally.connectors.keys(), ...tally.tasks.keys()])].filter(
    (x) => !known.includes(x),
  );
  const states = [...known, ...unknown.sort()];
  const row = (label: string, m: ReadonlyMap<string, number>): Html => {
    const cells = states.map((st) => {
      const n = m.get(st) ?? 0;
      return markup`<td class="${n === 0 ? 'zero' : `n-${cssState(st)}`}">${n}</td>`;
    });
    return markup`<tr><th scope="row">${label}</th>${cells}</tr>`;
  };
  const head = states.map((st) => markup`<th scope="col">${st}</th>`);
  return markup`<table class="counts"><thead><tr><th></th>${head}</tr></thead><tbody>${row(`connectors (${tally.connectorCount})`, tally.connectors)}${row(`tasks (${tally.taskCount})`, tally.tasks)}</tbody></table>`;
}

/** Everything worth saying about one connector; rank 2 only, or nothing, for one that is simply fine. */
function findings(
  con: ConnectorView,
  s: ClusterSnapshot,
  rows: KafkaRows,
  c: PageCluster,
  ctx: PageContext,
  runbook: Runbook,
): Finding[] {
  const out: Finding[] = [];
  const h = c.history;
  // In worker scope the connector instance may run on another worker: its state is that sidecar's business.
  const instanceHere = con.scoped?.instanceHere !== false;
  const failedTasks = con.tasks.filter((t) => t.state === 'FAILED');
  const failing = (instanceHere && con.state === 'FAILED') || failedTasks.length > 0;

  if (instanceHere && con.state === 'FAILED') {
    out.push({
      rank: 0,
      html: () =>
        markup`<li class="bad"><b>Connector FAILED</b> ${age(h?.connectorSince(con.name), ctx.now)} on ${con.workerId}${timesFailed(s.failures.connectors.get(con.name))} · ${runbook('KafkaConnectConnectorFailed')}${trace(con.trace)}</li>`,
    });
  }
  for (const t of failedTasks.slice(0, LIMITS.failedTasks)) {
    out.push({
      rank: 0,
      html: () =>
        markup`<li class="bad"><b>Task ${t.id} FAILED</b> ${age(h?.taskSince(con.name, t.id), ctx.now)} on ${t.workerId}${timesFailed(taskFailures(s.failures, con.name, t.id))} · ${runbook('KafkaConnectTaskFailed')}${trace(t.trace)}</li>`,
    });
  }
  if (failedTasks.length > LIMITS.failedTasks) {
    out.push({
      rank: 0,
      html: () =>
        markup`<li class="bad">${failedTasks.length - LIMITS.failedTasks} more FAILED tasks: <a href="${statusLink({ connector: con.name, pretty: true })}">their traces in /api/v1/status</a></li>`,
    });
  }
  if (instanceHere && con.state === 'UNASSIGNED') {
    out.push({
      rank: 1,
      html: () =>
        markup`<li class="warn"><b>Connector UNASSIGNED</b> ${age(h?.connectorSince(con.name), ctx.now)}: no worker runs it · ${runbook('KafkaConnectConnectorUnassigned')}</li>`,
    });
  }
  const totalTasks = con.scoped?.totalTasks ?? con.tasks.length;
  if (instanceHere && con.state === 'RUNNING' && totalTasks === 0) {
    out.push({
      rank: 1,
      html: () =>
        markup`<li class="warn"><b>RUNNING without tasks</b>: it does no work · ${runbook('KafkaConnectConnectorUnassigned')}</li>`,
    });
  }
  for (const t of con.tasks) {
    if (t.state !== 'UNASSIGNED') continue;
    out.push({
      rank: 1,
      html: () =>
        markup`<li class="warn"><b>Task ${t.id} UNASSIGNED</b> ${age(h?.taskSince(con.name, t.id), ctx.now)}: no worker runs it · ${runbook('KafkaConnectTaskUnassigned')}</li>`,
    });
  }
  const eh = errorHandling(con);
  if (eh.tolerance === 'all' && eh.dlqTopic === '' && !eh.logEnable) {
    out.push({
      rank: 1,
      html: () =>
        markup`<li class="warn"><b>Drops bad records without a trace</b>: errors.tolerance=all with neither a DLQ nor errors.log.enable · ${runbook('KafkaConnectRecordsSilentlyDropped')}</li>`,
    });
  }
  if (s.kafka) {
    out.push(...dlqFindings(con.name, rows, h, ctx, runbook));
    out.push(...lagFindings(con, failing, s.kafka.up, rows, h, ctx, runbook));
  }
  out.push(...restartFindings(con.name, failing, c, ctx, runbook));
  return out;
}

function dlqFindings(
  connector: string,
  rows: KafkaRows,
  h: ClusterHistory | undefined,
  ctx: PageContext,
  runbook: Runbook,
): Finding[] {
  const out: Finding[] = [];
  const status = rows.dlqStatus.get(connector) ?? [];
  for (const d of rows.dlq.get(connector) ?? []) {
    const g = h ? h.dlqGrowth(connector, d.topic, ctx.now) : { by: 0, overMs: 0 };
    const window =
      g.overMs >= GROWTH_WINDOW_MS
        ? `the last ${duration(GROWTH_WINDOW_MS)}`
        : `the ${duration(g.overMs)} seen so far`;
    const details = (): Html => {
      const reasons = (rows.dlqErrors.get(connector) ?? [])
        .filter((e) => e.topic === d.topic)
        .sort((a, b) => b.count - a.count)
        .slice(0, LIMITS.reasons)
        .map(
          (e) =>
            markup`<li>${e.stage} <code title="${e.exceptionClass}">${simpleName(e.exceptionClass)}</code> ×${e.count}</li>`,
        );
      const latest = status.find((x) => x.topic === d.topic)?.recent[0]?.exceptionMessage;
      return markup` · <a href="${dlqLink({ connector, pretty: true })}">its records</a>${reasons.length > 0 && markup`<ul class="reasons">${reasons}</ul>`}${latest && markup`<div class="latest">Latest: <code>${cut(latest, 300)}</code></div>`}`;
    };
    if (g.by > 0) {
      out.push({
        rank: 1,
        html: () =>
          markup`<li class="warn"><b>DLQ growing</b>: <code>${d.topic}</code> +${g.by} records in ${window}; ${d.records} retained, ${d.written} ever written · ${runbook('KafkaConnectDlqGrowing')}${details()}</li>`,
      });
    } else {
      const growthText = g.overMs > 0 ? `, none in ${window}` : '; its growth is known from the next read';
      out.push({
        rank: 2,
        html: () =>
          markup`<li>DLQ <code>${d.topic}</code>: ${d.records} retained, ${d.written} ever written${growthText}${details()}</li>`,
      });
    }
  }
  for (const x of status) {
    if (x.problem === null) continue;
    out.push({
      rank: 2,
      html: () => markup`<li>DLQ <code>${x.topic}</code> could not be read: ${x.problem}</li>`,
    });
  }
  return out;
}

function lagFindings(
  con: ConnectorView,
  failing: boolean,
  kafkaUp: boolean,
  rows: KafkaRows,
  h: ClusterHistory | undefined,
  ctx: PageContext,
  runbook: Runbook,
): Finding[] {
  const out: Finding[] = [];
  for (const l of rows.lag.get(con.name) ?? []) {
    if (l.lag <= 0) continue;
    const behind = (): Html => markup`<code>${l.topic}</code>: ${l.lag} records behind`;
    const p = h && kafkaUp ? h.sinkProgress(con.name, l.topic, l.lag, ctx.now) : undefined;
    // A FAILED instance is the cause already on the page: its stall is not a second problem.
    if (p?.kind === 'stalled' && !failing && con.state === 'RUNNING') {
      out.push({
        rank: 1,
        html: () =>
          markup`<li class="warn"><b>Stalled</b>: ${behind()}; records keep arriving, and no commit was seen since ${time(p.flatSince)} (${duration(ctx.now - p.flatSince)}) · ${runbook('KafkaConnectSinkStalled')}</li>`,
      });
    } else if (p?.kind === 'idle') {
      out.push({
        rank: 2,
        html: () =>
          markup`<li>Lag ${behind()}; no record arrived and no commit was seen since ${time(p.flatSince)}: what is left (e.g. records that went to the DLQ), not a stall</li>`,
      });
    } else {
      out.push({ rank: 2, html: () => markup`<li>Lag ${behind()}</li>` });
    }
  }
  return out;
}

function restartFindings(
  connector: string,
  failing: boolean,
  c: PageCluster,
  ctx: PageContext,
  runbook: Runbook,
): Finding[] {
  const r = c.restart;
  if (r === undefined) {
    if (!failing) return [];
    return [
      {
        rank: 2,
        html: () => markup`<li>Auto-restart is off for this cluster (<code>--restart.enabled</code>).</li>`,
      },
    ];
  }
  const v = r.view;
  if (v === undefined) return [];
  const attempts = v.attempts.get(connector);
  if (attempts === undefined) {
    if (!failing) return [];
    return [
      {
        rank: 2,
        html: () =>
          markup`<li>Auto-restart: excluded by <code>restart.include</code> / <code>restart.exclude</code>.</li>`,
      },
    ];
  }
  const failures = v.failures.get(connector) ?? 0;
  const conflicts = v.conflicts.get(connector) ?? 0;
  const used = markup`${attempts} of ${r.maxAttempts} attempts used${failures > 0 && markup`, ${failures} failed`}${conflicts > 0 && markup`, ${conflicts} refused during a rebalance (409)`}`;
  const dry = r.dryRun && markup` <span class="muted">(dry run: decided and counted, nothing sent)</span>`;
  if (v.budgetExhausted.has(connector)) {
    return [
      {
        rank: 1,
        html: () =>
          markup`<li class="bad"><b>Restart budget exhausted</b>: ${used}; left alone until it has been healthy for <code>restart.reset-after</code>${dry} · ${runbook('ConnectSentinelRestartBudgetExhausted')}</li>`,
      },
    ];
  }
  const out: Finding[] = [];
  if (failing) {
    const next = v.nextAttemptAt.get(connector);
    const when =
      attempts >= r.maxAttempts
        ? markup`no attempt left`
        : next === undefined || next <= ctx.now
          ? markup`next attempt on the next poll`
          : markup`next attempt not before ${time(next)} (in ${duration(next - ctx.now)})`;
    out.push({ rank: 2, html: () => markup`<li>Auto-restart: ${used}; ${when}${dry}</li>` });
  } else if (attempts > 0) {
    out.push({ rank: 2, html: () => markup`<li>Auto-restart: ${used}${dry}</li>` });
  }
  if (failures > 0) {
    out.push({
      rank: 2,
      html: () =>
        markup`<li>Restart requests failed ${failures}× · ${runbook('ConnectSentinelRestartFailures')}</li>`,
    });
  }
  return out;
}

function card(con: ConnectorView, found: readonly Finding[]): Html {
  const ordered = [...found].sort((a, b) => a.rank - b.rank);
  return markup`<article class="card rank-${ordered[0]?.rank ?? 2}"><h4><a href="${statusLink({ connector: con.name, pretty: true })}">${con.name}</a> ${statePill(con.state)} <span class="meta">${con.type} · tasks: ${taskSummary(con)} · <code>${con.className}</code></span></h4><ul class="findings">${ordered.map((f) => f.html())}</ul></article>
`;
}

function row(con: ConnectorView, rows: KafkaRows): Html {
  const total = <T>(list: readonly T[] | undefined, n: (x: T) => number): number | string =>
    list === undefined ? '—' : list.reduce((a, x) => a + n(x), 0);
  return markup`<tr><td><a href="${statusLink({ connector: con.name, pretty: true })}">${con.name}</a></td><td>${con.type}</td><td>${statePill(con.state)}</td><td>${taskSummary(con)}</td><td class="num">${total(rows.lag.get(con.name), (l) => l.lag)}</td><td class="num">${total(rows.dlq.get(con.name), (d) => d.records)}</td></tr>
`;
}

function table(body: readonly Html[]): Html {
  return markup`<table class="connectors"><thead><tr><th scope="col">connector</th><th scope="col">type</th><th scope="col">state</th><th scope="col">tasks</th><th scope="col">lag</th><th scope="col">DLQ</th></tr></thead><tbody>
${body}</tbody></table>`;
}

function taskSummary(con: ConnectorView): string {
  if (con.tasks.length === 0) return '0';
  const by = new Map<string, number>();
  for (const t of con.tasks) by.set(t.state, (by.get(t.state) ?? 0) + 1);
  return [...by].map(([state, n]) => `${n} ${state}`).join(', ');
}

function statePill(state: string): Html {
  return markup`<span class="state s-${cssState(state)}">${state}</span>`;
}

/** A class-name-safe form of a state (a state this version does not know is whatever the worker said). */
function cssState(state: string): string {
  return /^[A-Z]+$/.test(state) ? state : 'OTHER';
}

function age(since: Since | undefined, now: number): Html {
  if (since === undefined) return markup``;
  return since.atStart
    ? markup`for at least ${duration(now - since.at)} <span class="muted">(already so when the sidecar started watching, ${time(since.at)})</span>`
    : markup`for ${duration(now - since.at)} <span class="muted">(since ${time(since.at)})</span>`;
}

function timesFailed(n: number | undefined): Html {
  return n !== undefined && n > 1 ? markup` · failed ${n}× since the sidecar started` : markup``;
}

/** The first line, the deepest cause, and the whole trace behind a disclosure (no script needed). */
function trace(t: string | undefined): Html {
  if (t === undefined || t.trim() === '') return markup``;
  const lines = t.split('\n');
  const first = (lines[0] as string).trim();
  const cause = lines
    .map((l) => l.trim())
    .filter((l) => l.startsWith('Caused by:'))
    .pop();
  const whole =
    t.length > LIMITS.traceChars
      ? `${t.slice(0, LIMITS.traceChars)}\n… (cut; the whole trace is in /api/v1/status)`
      : t;
  return markup`<details class="trace"><summary><code>${cut(first, 500)}</code>${cause && markup`<br><code class="cause">${cut(cause, 500)}</code>`}</summary><pre>${whole}</pre></details>`;
}

function cut(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function simpleName(cls: string): string {
  return cls.slice(cls.lastIndexOf('.') + 1) || cls;
}

export function time(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}
