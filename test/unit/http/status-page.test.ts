/** The status page from snapshots (pure): what a person on call reads first, and that nothing in it is markup. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { ALERT_NAMES, DEFAULT_RULE_OPTIONS, runbookUrl as alertRunbookUrl } from '../../../alerts/rules.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import { PageDocument } from '../../../src/http/page-document.js';
import { pageLinks } from '../../../src/http/paths.js';
import {
  LIMITS,
  clusterSection,
  clusterSectionSlices,
  duration,
  type PageCluster,
} from '../../../src/http/status-page.js';
import { DEFAULT_RUNBOOK_BASE_URL, runbookUrl } from '../../../src/lib/runbook.js';
import { ClusterHistory } from '../../../src/state/history.js';
import type { RestartView } from '../../../src/state/restarts.js';
import type { ClusterSnapshot, KafkaView } from '../../../src/state/snapshot.js';
import { NO_DLQ_STATUS, connectorView, snapshotWith } from '../../fixtures/views.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const BASE = 'https://runbooks.example/ops';
const TRACE =
  'org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n' +
  '\tat org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator.execAndHandleError(RetryWithToleranceOperator.java:230)\n' +
  'Caused by: org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect data failed\n' +
  '\t... 12 more\n' +
  "Caused by: org.apache.kafka.common.errors.SerializationException: Unrecognized token 'this'";

function snap(at: number, connectors: ConnectorView[], kafka?: Partial<KafkaView>): ClusterSnapshot {
  const s = snapshotWith(connectors);
  return {
    ...s,
    cluster: 'prod',
    takenAt: at,
    connect: {
      ...s.connect,
      lastSuccessAt: at,
      info: { version: '4.1.2', commit: 'c', kafkaClusterId: 'K' },
    },
    ...(kafka
      ? {
          kafka: {
            up: true,
            durationSeconds: 0.1,
            errorsTotal: 0,
            dlq: [],
            dlqErrors: [],
            dlqLast: [],
            lag: [],
            dlqStatus: NO_DLQ_STATUS,
            ...kafka,
          },
        }
      : {}),
  };
}

function history(snapshots: readonly ClusterSnapshot[]): ClusterHistory {
  const h = new ClusterHistory();
  for (const s of snapshots) h.record(s);
  return h;
}

const noRestarts = (): RestartView => ({
  attempts: new Map(),
  failures: new Map(),
  conflicts: new Map(),
  budgetExhausted: new Set(),
  nextAttemptAt: new Map(),
});

function page(
  snapshots: readonly ClusterSnapshot[],
  opts: { restart?: PageCluster['restart']; now?: number } = {},
): string {
  const latest = snapshots[snapshots.length - 1];
  return clusterSection(
    { name: 'prod', snapshot: latest, history: history(snapshots), restart: opts.restart },
    { now: opts.now ?? (latest?.takenAt ?? T0) + 5_000, runbookBaseUrl: BASE },
  );
}

/** The page as text a person reads: tags dropped, entities decoded. */
function visible(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

const section = (html: string, title: string): string => {
  const start = html.indexOf(`<h3>${title}`);
  const end = html.indexOf('<h3>', start + 1);
  return html.slice(start, end < 0 ? undefined : end);
};

describe('what needs attention comes first', () => {
  const healthy = connectorView('a-healthy', 'RUNNING', ['RUNNING']);
  const paused = connectorView('b-paused', 'PAUSED', ['PAUSED']);
  const failing = connectorView('z-orders-sink', 'RUNNING', ['RUNNING', 'FAILED'], { task: () => TRACE });
  const running = connectorView('z-orders-sink', 'RUNNING', ['RUNNING', 'RUNNING']);

  test('the failing connector is the first card: which task, how long, where, its trace and its runbook', () => {
    const html = page([
      snap(T0, [healthy, paused, running]),
      snap(T0 + 12 * MIN, [healthy, paused, failing]),
    ]);
    const attention = section(html, 'Needs attention');
    expect(attention).toContain('(1)');
    expect(attention.indexOf('z-orders-sink')).toBeGreaterThan(0);
    expect(attention).not.toContain('a-healthy');
    const text = visible(attention);
    expect(text).toContain('Task 1 FAILED for 5 s (since 2025-06-01 12:12:00 UTC) on w1');
    // The first line and the deepest cause are shown; the whole trace is one click away, without script.
    expect(attention).toMatch(
      /<details class="trace"><summary><code>org\.apache\.kafka\.connect\.errors\.ConnectException: Tolerance exceeded in error handler<\/code><br><code class="cause">Caused by: org\.apache\.kafka\.common\.errors\.SerializationException: Unrecognized token &#39;this&#39;<\/code><\/summary><pre>/,
    );
    expect(visible(attention)).toContain('RetryWithToleranceOperator.java:230');
    expect(attention).toContain(`href="${BASE}/docs/runbook.md#kafkaconnecttaskfailed"`);
    // The others are rows, in name order.
    const others = visible(section(html, 'Other connectors'));
    expect(others).toMatch(/a-healthy sink RUNNING 1 RUNNING .*b-paused sink PAUSED 1 PAUSED/);
  });

  test('a failure seen at the first poll is "at least" that old; a FAILED connector links its own section', () => {
    const failed = connectorView('c', 'FAILED', [], { connector: 'java.lang.RuntimeException: boom' });
    const html = page([snap(T0, [failed]), snap(T0 + 90 * MIN, [failed])], { now: T0 + 125 * MIN });
    expect(visible(html)).toContain(
      'Connector FAILED for at least 2 h 5 min (already so when the sidecar started watching, 2025-06-01 12:00:00 UTC)',
    );
    expect(html).toContain('#kafkaconnectconnectorfailed"');
  });

  test('failures before warnings, then by name; counts by state for connectors and tasks', () => {
    const html = page([
      snap(T0, [
        connectorView('a-unassigned', 'UNASSIGNED', []),
        connectorView('b-failed', 'FAILED', ['FAILED', 'RUNNING']),
        connectorView('c-task-unassigned', 'RUNNING', ['UNASSIGNED']),
        connectorView('d-fine', 'RUNNING', ['RUNNING', 'RUNNING']),
      ]),
    ]);
    const cards = [...section(html, 'Needs attention').matchAll(/<h4><a [^>]*>([^<]*)<\/a>/g)].map(
      (m) => m[1],
    );
    expect(cards).toEqual(['b-failed', 'a-unassigned', 'c-task-unassigned']);
    const counts = visible(html.slice(html.indexOf('<table class="counts">'), html.indexOf('</table>')));
    expect(counts).toContain('RUNNING PAUSED STOPPED FAILED UNASSIGNED RESTARTING');
    expect(counts).toContain('connectors (4) 2 0 0 1 1 0');
    expect(counts).toContain('tasks (5) 3 0 0 1 1 0');
    expect(section(html, 'Needs attention')).toContain('#kafkaconnecttaskunassigned"');
  });

  test('nothing wrong says so; a cluster not polled yet says so', () => {
    expect(visible(page([snap(T0, [healthy])]))).toContain('Needs attention (0) Nothing: no connector');
    expect(visible(page([]))).toContain('prod not polled yet');
  });

  test('a whole cluster failing keeps the page a page, and says how many are not shown', () => {
    const many = Array.from({ length: LIMITS.cards + 50 }, (_, i) =>
      connectorView(`c-${String(i).padStart(3, '0')}`, 'FAILED', [], { connector: 'x' }),
    );
    const html = page([snap(T0, many)]);
    expect(html.match(/<article /g)).toHaveLength(LIMITS.cards);
    expect(visible(html)).toContain('50 more not shown');
  });

  test('a large cluster is made in slices of a few ms, to the same page', () => {
    const many = Array.from({ length: 2000 }, (_, i) =>
      connectorView(`c-${String(i).padStart(4, '0')}`, i % 10 === 0 ? 'FAILED' : 'RUNNING', ['RUNNING'], {
        connector: 'boom',
      }),
    );
    const input: PageCluster = {
      name: 'prod',
      snapshot: snap(T0, many),
      history: undefined,
      restart: undefined,
    };
    const ctx = { now: T0, runbookBaseUrl: BASE };
    // A clock that moves 1 ms each time it is read: the slices end where their time is up, not by chance.
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => ++clock);
    try {
      const slices = clusterSectionSlices(input, ctx);
      let pauses = 0;
      let r = slices.next();
      while (!r.done) {
        pauses++;
        r = slices.next();
      }
      expect(pauses).toBeGreaterThan(3);
      expect(r.value).toBe(clusterSection(input, ctx));
    } finally {
      now.mockRestore();
    }
  });
});

describe('the cluster as a whole', () => {
  test('Connect down: the error, which poll is shown, the runbook; Kafka not configured is said', () => {
    const good = snap(T0, [connectorView('a', 'RUNNING', ['RUNNING'])]);
    const down: ClusterSnapshot = {
      ...good,
      takenAt: T0 + MIN,
      connect: { ...good.connect, up: false, stale: true, error: 'connect ECONNREFUSED 10.0.0.1:8083' },
    };
    const text = visible(page([good, down]));
    expect(text).toContain('prod Connect down Kafka not configured');
    expect(text).toContain(
      'The Connect REST API did not answer: connect ECONNREFUSED 10.0.0.1:8083. Showing the last good poll, of 2025-06-01 12:00:00 UTC.',
    );
    expect(page([good, down])).toContain('#kafkaconnectrestunreachable"');
    // Past stale-after nothing is shown, and nothing is claimed to be fine.
    const empty = { ...down, connect: { ...down.connect, connectors: [] } };
    expect(visible(page([good, empty]))).toContain(
      'No connector shown: the last good poll is older than stale-after.',
    );
    expect(visible(page([good, empty]))).toContain(
      'Needs attention (0) Nothing known: Connect does not answer.',
    );
  });
});

describe('DLQ, lag and restarts in a card', () => {
  const sink = connectorView('orders', 'RUNNING', ['RUNNING']);
  const dlqSnap = (at: number, written: number): ClusterSnapshot =>
    snap(at, [sink], {
      dlq: [{ connector: 'orders', topic: 'orders-dlq', records: written, written, partitions: 1 }],
      dlqErrors: [
        {
          connector: 'orders',
          topic: 'orders-dlq',
          stage: 'TRANSFORMATION',
          exceptionClass: 'org.x.Y',
          count: 2,
        },
        {
          connector: 'orders',
          topic: 'orders-dlq',
          stage: 'VALUE_CONVERTER',
          exceptionClass: 'org.apache.kafka.connect.errors.DataException',
          count: 9,
        },
      ],
      dlqStatus: {
        ...NO_DLQ_STATUS,
        connectors: [
          {
            connector: 'orders',
            topic: 'orders-dlq',
            contextHeaders: true,
            records: written,
            written,
            problem: null,
            recent: [
              {
                topic: 'orders-dlq',
                partition: 0,
                offset: written - 1,
                timestamp: null,
                stage: 'VALUE_CONVERTER',
                exceptionClass: 'org.apache.kafka.connect.errors.DataException',
                exceptionMessage: 'Converting byte[] to Kafka Connect data failed',
                executingClass: null,
                taskId: 0,
                original: null,
                stacktrace: null,
              },
            ],
          },
        ],
      },
    });

  test('a growing DLQ: how much in the last 5 min, the top reasons, the latest message, its records', () => {
    const polls = Array.from({ length: 7 }, (_, i) => dlqSnap(T0 + i * MIN, 10 + 2 * i));
    const html = page(polls, { now: T0 + 6 * MIN });
    const text = visible(section(html, 'Needs attention'));
    expect(text).toContain(
      'DLQ growing : orders-dlq +10 records in the last 5 min; 22 retained, 22 ever written',
    );
    expect(text).toMatch(/VALUE_CONVERTER DataException ×9 TRANSFORMATION Y ×2/);
    expect(text).toContain('Latest: Converting byte[] to Kafka Connect data failed');
    expect(html).toContain('href="api/v1/dlq?connector=orders&amp;pretty"');
    expect(html).toContain('#kafkaconnectdlqgrowing"');
  });

  test('a DLQ that stopped growing is no reason for a card', () => {
    const polls = Array.from({ length: 7 }, (_, i) => dlqSnap(T0 + i * MIN, 10));
    expect(section(page(polls), 'Needs attention')).toContain('(0)');
  });

  const lagSnap = (i: number, con: ConnectorView, end: number, committed: number): ClusterSnapshot =>
    snap(T0 + i * MIN, [con], {
      lag: [{ connector: con.name, topic: 'orders', lag: end - committed, committed }],
    });

  test('stalled: records keep arriving and no commit for 10 min; the same with its last records in the DLQ is not', () => {
    const stalled = Array.from({ length: 16 }, (_, i) =>
      lagSnap(i, sink, 100 + 5 * i, 100 + 5 * Math.min(i, 3)),
    );
    const text = visible(section(page(stalled), 'Needs attention'));
    expect(text).toContain(
      'Stalled : orders : 60 records behind; records keep arriving, and no commit was seen since 2025-06-01 12:03:00 UTC (12 min)',
    );
    expect(page(stalled)).toContain('#kafkaconnectsinkstalled"');
    const tail = Array.from({ length: 16 }, (_, i) =>
      lagSnap(i, sink, i < 3 ? 100 + 5 * i : 113, 100 + 5 * Math.min(i, 2)),
    );
    expect(section(page(tail), 'Needs attention')).toContain('(0)');
    expect(visible(section(page(tail), 'Other connectors'))).toContain('orders sink RUNNING 1 RUNNING 3');
  });

  test('a sink with a FAILED task is not also called stalled: one cause, one problem', () => {
    const failed = connectorView('orders', 'RUNNING', ['FAILED'], { task: () => TRACE });
    const polls = Array.from({ length: 16 }, (_, i) => lagSnap(i, failed, 100 + 5 * i, 100));
    const text = visible(section(page(polls), 'Needs attention'));
    expect(text).toContain('Task 0 FAILED');
    expect(text).not.toContain('Stalled');
    expect(text).toContain('Lag orders : 75 records behind');
  });

  const failing = connectorView('orders', 'RUNNING', ['FAILED'], { task: () => TRACE });
  const restartView = (over: Partial<RestartView>): RestartView => ({
    ...noRestarts(),
    attempts: new Map([['orders', 1]]),
    ...over,
  });

  test('restarts: attempts against the budget and when the next may be made', () => {
    const view = restartView({ nextAttemptAt: new Map([['orders', T0 + 2 * MIN]]) });
    const text = visible(page([snap(T0, [failing])], { restart: { maxAttempts: 5, dryRun: false, view } }));
    expect(text).toContain(
      'Auto-restart: 1 of 5 attempts used; next attempt not before 2025-06-01 12:02:00 UTC (in 1 min)',
    );
    const dry = visible(page([snap(T0, [failing])], { restart: { maxAttempts: 5, dryRun: true, view } }));
    expect(dry).toContain('(dry run: decided and counted, nothing sent)');
  });

  test('restarts: an exhausted budget is a problem with its runbook; off or excluded is said', () => {
    const view = restartView({ attempts: new Map([['orders', 3]]), budgetExhausted: new Set(['orders']) });
    const html = page([snap(T0, [failing])], { restart: { maxAttempts: 3, dryRun: false, view } });
    expect(visible(html)).toContain('Restart budget exhausted : 3 of 3 attempts used');
    expect(html).toContain('#connectsentinelrestartbudgetexhausted"');
    expect(visible(page([snap(T0, [failing])]))).toContain('Auto-restart is off for this cluster');
    const excluded = page([snap(T0, [failing])], {
      restart: { maxAttempts: 3, dryRun: false, view: noRestarts() },
    });
    expect(visible(excluded)).toContain('Auto-restart: excluded by restart.include / restart.exclude');
  });
});

describe('escaping', () => {
  const XSS = '<img src=x onerror=alert(1)>';

  test('a connector named like markup, with a trace like markup, is text', () => {
    const evil = {
      ...connectorView(XSS, 'FAILED', ['FAILED'], {
        connector: '<script>alert("c")</script>',
        task: () => `"><svg onload=alert(2)>\nCaused by: </details><b>x</b>`,
      }),
      className: `Cls"' onmouseover="alert(3)`,
      workerId: '<i>w</i>',
    };
    const html = page([
      snap(T0, [evil], { lag: [{ connector: XSS, topic: '<u>t</u>', lag: 5, committed: 0 }] }),
    ]);
    expect(html).not.toMatch(/<(img|script|svg|i|u)[\s>]/);
    expect(html).toContain('Caused by: &lt;/details&gt;&lt;b&gt;x&lt;/b&gt;');
    expect(visible(html)).toContain(XSS);
    expect(visible(html)).toContain('<script>alert("c")</script>');
    expect(html).toContain(`href="api/v1/status?connector=${encodeURIComponent(XSS)}&amp;pretty"`);
  });

  test("whatever the names, traces and errors, the only tags are the page's own", () => {
    const OWN = new Set(
      'section h2 h3 h4 span p a table thead tbody tr th td article ul li b code details summary pre br div'.split(
        ' ',
      ),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (name, trace, worker, error) => {
        const con = {
          ...connectorView(name, 'FAILED', ['FAILED'], { connector: trace, task: () => trace }),
          workerId: worker,
        };
        const good = snap(T0, [con]);
        const down = { ...good, connect: { ...good.connect, up: false, stale: true, error } };
        const html = page([good, down]);
        for (const m of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g))
          expect(OWN.has(m[1] as string), m[0]).toBe(true);
        // Attribute values never end early: every quote opens and closes an attribute of ours.
        for (const m of html.matchAll(/<[^>]*>/g))
          expect(m[0].match(/"/g)?.length ?? 0).toSatisfy((n: number) => n % 2 === 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('runbook links', () => {
  test('the page and the shipped alerts start from the same default, and build the same links', () => {
    expect(DEFAULT_RUNBOOK_BASE_URL).toBe(DEFAULT_RULE_OPTIONS.runbookBaseUrl);
    for (const alert of ALERT_NAMES) expect(runbookUrl(BASE, alert)).toBe(alertRunbookUrl(BASE, alert));
  });

  test('every alert the page links to is a shipped alert with a section in docs/runbook.md', () => {
    const source = readFileSync(new URL('../../../src/http/status-page.ts', import.meta.url), 'utf8');
    const linked = [...source.matchAll(/runbook\('(\w+)'\)/g)].map((m) => m[1] as string);
    expect(linked.length).toBeGreaterThan(10);
    const runbook = readFileSync(new URL('../../../docs/runbook.md', import.meta.url), 'utf8');
    const known: readonly string[] = ALERT_NAMES;
    for (const alert of linked) {
      expect(known, alert).toContain(alert);
      expect(runbook, alert).toContain(`\n## ${alert}\n`);
    }
  });
});

describe('the page document', () => {
  const doc = () => {
    const d = new PageDocument({ links: pageLinks('/metrics'), refreshSeconds: 15, version: '1.2.3' });
    d.setClusters(['prod', 'staging']);
    d.setCluster('prod', '<section>prod</section>');
    d.setCluster('staging', '<section>staging</section>');
    return d;
  };

  test('one head, each cluster in order, one foot; the same buffers for every request', () => {
    const d = doc();
    const a = d.body(true);
    const b = d.body(true);
    expect(a.parts.length).toBe(4);
    a.parts.forEach((p, i) => expect(p).toBe(b.parts[i]));
    const text = Buffer.concat(a.parts).toString();
    expect(a.length).toBe(Buffer.byteLength(text));
    expect(text.indexOf('prod</section>')).toBeLessThan(text.indexOf('staging</section>'));
    expect(text).toContain('<meta http-equiv="refresh" content="15">');
    for (const link of ['metrics', 'api/v1/status', 'api/v1/dlq', 'healthz', 'readyz'])
      expect(text).toContain(`href="${link}"`);
    expect(text).not.toContain('<script');
    const still = Buffer.concat(d.body(false).parts).toString();
    expect(still).not.toContain('http-equiv="refresh"');
    expect(still).toContain('<a href=".">refresh every 15 s</a>');
  });

  test('a cluster not on the page is refused by name; a dropped one goes', () => {
    const d = doc();
    expect(() => d.setCluster('nope', '')).toThrow(
      'cluster "nope" is not one of this page\'s clusters (prod, staging)',
    );
    d.setClusters(['staging']);
    expect(Buffer.concat(d.body(true).parts).toString()).not.toContain('prod</section>');
  });

  test('durations read as a person says them', () => {
    expect([5_000, 61_000, 3 * 3600_000, 3 * 3600_000 + 5 * MIN, 50 * 3600_000, -1].map(duration)).toEqual([
      '5 s',
      '1 min',
      '3 h',
      '3 h 5 min',
      '2 d 2 h',
      '0 s',
    ]);
  });
});
