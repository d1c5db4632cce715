/**
 * Integration (issue 16): `connect-sentinel dlq` against real Connect workers and a real broker. Poison
 * records reach DLQs through a converter and through TASK_PUT; inspect shows why; replay with a fix gets
 * them written by the sink; reruns send nothing twice; records that fail again come back counted and,
 * at the limit, go to the review file; a broker stopped mid-replay is survived; DLQs compressed with
 * every codec are read, by the CLI and by the sidecar.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { runDlqCli } from '../../src/cli/dlq.js';
import type { Terminal } from '../../src/cli/terminal.js';
import { HEADER } from '../../src/kafka/dlq-headers.js';
import { samples } from '../helpers/exposition.js';
import { startSentinel } from '../helpers/sentinel.js';
import '../stack/context.js';
import { startPrivateStack, type PrivateStack } from '../stack/control.js';
import { logSegmentCodecs, TEST_PLUGINS } from '../stack/launcher.js';
import {
  allRunning,
  consume,
  createTopic,
  dlqCompressedSink,
  errantReporterSink,
  kafkaClient,
  produce,
  putConnector,
  waitForConnectorState,
  waitForScenarios,
  type DlqCodec,
  type Scenario,
} from '../stack/scenarios.js';

const stack = inject('stack');
const worker = stack.workers[0]!;
const DATA_EXCEPTION = 'org.apache.kafka.connect.errors.DataException';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-dlq-cli-'));

interface Run {
  code: number;
  out: string;
  err: string;
  /** stdout's JSON lines, parsed. */
  json: Record<string, unknown>[];
}

/** Runs `connect-sentinel dlq …` in this process, with output captured as a pipe would see it. */
async function dlq(connectUrl: string, bootstrap: string, ...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const term: Terminal = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    outIsTty: false,
    errIsTty: false,
    columns: 200,
    defaultOutput: 'json',
  };
  const code = await runDlqCli(
    [...argv, '--connect.url', connectUrl, '--kafka.brokers', bootstrap, '--poll.timeout', '5s'],
    { env: {}, term },
  );
  const json = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, out, err, json };
}

const shared = (...argv: string[]) => dlq(worker.url, stack.bootstrap, ...argv);

interface Summary {
  read: number;
  republished: number;
  skippedByFilter: number;
  alreadyRepublished: number;
  review: number;
  failed: number;
}
const summaryOf = (r: Run): Summary => {
  const s = r.json.find((j) => 'summary' in j)?.summary as Summary | undefined;
  if (!s) throw new Error(`no summary in:\n${r.out}\n${r.err}`);
  return s;
};

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function endOffset(bootstrap: string, topic: string): Promise<number> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A fix that repairs the two kinds of broken JSON the test produces; anything else goes to review. */
const FIX = `export default (record) => {
  const text = record.value === null ? '' : record.value.toString('utf8');
  let repaired = text.replace(/,\\s*}$/, '}');
  if (!repaired.endsWith('}')) repaired += '}';
  try { JSON.parse(repaired); } catch { return null; }
  return { ...record, value: repaired, headers: { ...record.headers, repaired: 'yes' } };
};
`;

describe('dlq inspect and replay on the shared stack', () => {
  const prefix = `cli-${Date.now().toString(36)}`;
  const ctx = { target: worker.url, bootstrap: stack.bootstrap, prefix };
  const sinkFile = path.join(tmp, `${prefix}-json-sink.txt`);
  const sink = { name: `${prefix}-json-sink`, topic: `${prefix}-json-in`, dlqTopic: `${prefix}-json-dlq` };
  let errant: Scenario;
  const fixFile = path.join(tmp, 'repair-json.mjs');

  beforeAll(async () => {
    fs.writeFileSync(fixFile, FIX);
    await produce(stack.bootstrap, sink.topic, [
      { key: 'k1', value: '{"id":1,"name":"one"}' },
      { key: 'k2', value: '{"id":2,"name":"two"', headers: { origin: 'test' } },
      { key: 'k3', value: '{"id":3,"name":"three",}' },
    ]);
    await putConnector(worker.url, sink.name, {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      'tasks.max': '1',
      topics: sink.topic,
      file: sinkFile,
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': sink.dlqTopic,
      'errors.deadletterqueue.topic.replication.factor': '1',
      'errors.deadletterqueue.context.headers.enable': 'true',
    });
    errant = await errantReporterSink(ctx);
    await waitForConnectorState(worker.url, sink.name, allRunning(1), 90_000);
    await waitForScenarios(worker.url, { errant });
    await waitFor('both DLQs filled', async () =>
      (await endOffset(stack.bootstrap, sink.dlqTopic)) === 2 &&
      (await endOffset(stack.bootstrap, errant.dlqTopic!)) === 3
        ? true
        : undefined,
    );
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('list shows each DLQ with its depth and top reason', async () => {
    const r = await shared('list', '--output', 'json');
    expect(r.code).toBe(0);
    const row = (c: string) => r.json.find((j) => j.connector === c);
    expect(row(sink.name)).toMatchObject({
      topic: sink.dlqTopic,
      records: 2,
      topReasons: [{ stage: 'VALUE_CONVERTER', exceptionClass: DATA_EXCEPTION, count: 2 }],
      problem: null,
    });
    expect(row(errant.name)).toMatchObject({
      records: 3,
      topReasons: [{ stage: 'TASK_PUT', exceptionClass: TEST_PLUGINS.errantException, count: 3 }],
    });
  });

  test('inspect shows a converter failure and a TASK_PUT report with their stage, class and origin', async () => {
    const conv = await shared('inspect', '--connector', sink.name, '--show-payload');
    expect(conv.code).toBe(0);
    expect(conv.json).toEqual([
      expect.objectContaining({
        partition: 0,
        offset: 0,
        stage: 'VALUE_CONVERTER',
        exceptionClass: DATA_EXCEPTION,
        original: { topic: sink.topic, partition: 0, offset: 1 },
        value: { text: '{"id":2,"name":"two"', encoding: 'utf8', truncated: false },
      }),
      expect.objectContaining({ offset: 1, original: { topic: sink.topic, partition: 0, offset: 2 } }),
    ]);
    const put = await shared('inspect', '--connector', errant.name, '--stage', 'TASK_PUT', '--limit', '2');
    expect(put.json).toHaveLength(2);
    expect(put.json[0]).toMatchObject({
      stage: 'TASK_PUT',
      exceptionClass: TEST_PLUGINS.errantException,
      exceptionMessage: TEST_PLUGINS.errantMessage,
    });
    expect(put.json[0]).not.toHaveProperty('value');
    const none = await shared('inspect', '--connector', errant.name, '--exception-class', 'SQLException$');
    expect(none.json).toEqual([]);
  });

  test('export writes every header of every record', async () => {
    const out = path.join(tmp, 'export.jsonl');
    const r = await shared('export', '--connector', sink.name, '--out', out);
    expect(r.code).toBe(0);
    const lines = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { headers: Record<string, unknown>; dlq: { offset: number } });
    expect(lines.map((l) => l.dlq.offset)).toEqual([0, 1]);
    expect(lines[0]!.headers).toMatchObject({
      origin: 'test',
      [HEADER.stage]: 'VALUE_CONVERTER',
      [HEADER.topic]: sink.topic,
      [HEADER.executingClass]: 'org.apache.kafka.connect.json.JsonConverter',
    });
  });

  test('replay --fix gets the repaired records written by the sink, and a second run sends nothing', async () => {
    const dry = await shared('replay', '--connector', sink.name, '--fix', fixFile, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.json.filter((j) => j.action === 'republish').map((j) => j.value)).toEqual([
      '{"id":2,"name":"two"}',
      '{"id":3,"name":"three"}',
    ]);
    expect(await endOffset(stack.bootstrap, sink.topic)).toBe(3);

    const first = await shared('replay', '--connector', sink.name, '--fix', fixFile);
    expect(first.code).toBe(0);
    expect(summaryOf(first)).toEqual({
      read: 2,
      republished: 2,
      skippedByFilter: 0,
      alreadyRepublished: 0,
      review: 0,
      failed: 0,
    });
    const written = await waitFor('the sink to write the repaired records', async () => {
      const lines = fs.existsSync(sinkFile) ? fs.readFileSync(sinkFile, 'utf8').trim().split('\n') : [];
      return lines.length === 3 ? lines : undefined;
    });
    // FileStreamSink writes the converted map: `{id=2, name=two}`, keys in the map's own order.
    expect(written.map((l) => [/id=(\d)/.exec(l)?.[1], /name=(\w+)/.exec(l)?.[1]])).toEqual([
      ['1', 'one'],
      ['2', 'two'],
      ['3', 'three'],
    ]);
    const replayed = (await consume(stack.bootstrap, sink.topic, 5)).slice(3);
    expect(replayed.map((r) => [r.key, r.headers])).toEqual([
      [
        'k2',
        {
          origin: 'test',
          repaired: 'yes',
          'connect-sentinel.replay.count': '1',
          'connect-sentinel.replay.dlq.topic': sink.dlqTopic,
          'connect-sentinel.replay.dlq.partition': '0',
          'connect-sentinel.replay.dlq.offset': '0',
        },
      ],
      ['k3', expect.objectContaining({ 'connect-sentinel.replay.dlq.offset': '1' })],
    ]);

    const again = await shared('replay', '--connector', sink.name, '--fix', fixFile);
    expect(again.code).toBe(0);
    expect(summaryOf(again)).toMatchObject({ read: 0, republished: 0 });
    expect(await endOffset(stack.bootstrap, sink.topic)).toBe(5);
  });

  test('a record that fails again comes back with replay.count=1 and, at the limit, lands in the review file', async () => {
    const review = path.join(tmp, 'review.jsonl');
    const args = ['replay', '--connector', errant.name, '--max-replays', '1', '--review-file', review];
    const first = await shared(...args);
    expect(summaryOf(first)).toMatchObject({ read: 3, republished: 3, review: 0 });
    // The errant sink reports the replayed records again: three more DLQ records.
    await waitFor('the replayed records back in the DLQ', async () =>
      (await endOffset(stack.bootstrap, errant.dlqTopic!)) === 6 ? true : undefined,
    );
    const back = await shared('export', '--connector', errant.name, '--out', '-', '--offset', '3..');
    expect(
      back.json.map((j) => (j.headers as Record<string, string>)['connect-sentinel.replay.count']),
    ).toEqual(['1', '1', '1']);
    const inputEnd = await endOffset(stack.bootstrap, errant.topics[0]!);
    const second = await shared(...args);
    expect(second.code).toBe(0);
    expect(summaryOf(second)).toMatchObject({ read: 3, republished: 0, review: 3 });
    expect(await endOffset(stack.bootstrap, errant.topics[0]!)).toBe(inputEnd);
    const reviewed = fs
      .readFileSync(review, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; dlq: { offset: number }; stage: string });
    expect(reviewed.map((r) => [r.dlq.offset, r.reason, r.stage])).toEqual(
      [3, 4, 5].map((o) => [o, 'replayed 1 time already (--max-replays 1)', 'TASK_PUT']),
    );
  });

  test('bad arguments exit 2 naming the flag; a connector without a DLQ is named too', async () => {
    const rate = await shared('replay', '--connector', sink.name, '--rate', 'fast');
    expect([rate.code, rate.err]).toEqual([
      2,
      'connect-sentinel dlq: --rate: "fast" is not a number above 0\n',
    ]);
    const to = await shared('replay', '--connector', sink.name, '--to', sink.dlqTopic);
    expect(to.code).toBe(2);
    expect(to.err).toMatch(/^connect-sentinel dlq: --to: .* is the DLQ itself/);
    const ghost = await shared('inspect', '--connector', 'no-such-sink');
    expect(ghost.code).toBe(2);
    expect(ghost.err).toMatch(/--connector: no sink connector "no-such-sink" with a dead letter queue/);
  });
});

describe('compressed DLQs (gzip, snappy, lz4, zstd)', () => {
  const prefix = `cz-${Date.now().toString(36)}`;
  const codecs: DlqCodec[] = ['gzip', 'snappy', 'lz4', 'zstd'];
  let sc: Record<DlqCodec, Scenario>;

  beforeAll(async () => {
    const ctx = { target: worker.url, bootstrap: stack.bootstrap, prefix };
    const made = await Promise.all(codecs.map((c) => dlqCompressedSink(ctx, c)));
    sc = Object.fromEntries(codecs.map((c, i) => [c, made[i]!])) as Record<DlqCodec, Scenario>;
    await waitForScenarios(worker.url, sc);
    await waitFor('every compressed DLQ filled', async () =>
      (await Promise.all(codecs.map((c) => endOffset(stack.bootstrap, sc[c].dlqTopic!)))).every(
        (n) => n === 2,
      )
        ? true
        : undefined,
    );
  });

  test('the workers really wrote each codec', async () => {
    const found = await logSegmentCodecs(
      stack.kafkaDataDir,
      stack.kafkaVersion,
      codecs.map((c) => sc[c].dlqTopic!),
    );
    for (const c of codecs) expect(new Set(found.get(sc[c].dlqTopic!))).toEqual(new Set([c]));
  });

  test.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)(
    'dlq inspect reads %s batches with their reasons',
    async (c) => {
      const r = await shared('inspect', '--connector', sc[c].name, '--show-payload');
      expect(r.code).toBe(0);
      expect(r.json.map((j) => [j.stage, j.exceptionClass, (j.value as { text: string }).text])).toEqual([
        ['VALUE_CONVERTER', DATA_EXCEPTION, `${c} is not json`],
        ['VALUE_CONVERTER', DATA_EXCEPTION, `{"${c}":`],
      ]);
    },
  );

  test('the sidecar counts every compressed DLQ by stage and exception class', async () => {
    const sentinel = await startSentinel(['--connect.url', worker.url, '--kafka.brokers', stack.bootstrap]);
    try {
      const m = await sentinel.waitForMetrics(
        (s) =>
          codecs.every(
            (c) =>
              samples(s, 'kafka_connect_dlq_errors_total', {
                connector: sc[c].name,
                stage: 'VALUE_CONVERTER',
                exception_class: DATA_EXCEPTION,
              })[0]?.value === 2,
          ),
        90_000,
        'every compressed DLQ counted',
      );
      for (const c of codecs)
        expect(samples(m, 'kafka_connect_dlq_errors_total', { connector: sc[c].name })).toHaveLength(1);
    } finally {
      await sentinel.stop();
    }
  });
});

describe('the broker stopped mid-replay (private broker and worker)', () => {
  const N = 6000;
  let priv: PrivateStack;
  const name = 'mid-replay-sink';
  const dlqTopic = 'mid-replay-dlq';
  const original = 'mid-replay-orders';

  beforeAll(async () => {
    priv = await startPrivateStack({ workers: 1 });
    const w = priv.workers[0]!;
    await createTopic(priv.kafka.bootstrap, original, 3);
    await createTopic(priv.kafka.bootstrap, dlqTopic, 2);
    // The DLQ's records as Connect writes them, produced directly: N of them is quicker than N failures.
    const producer = kafkaClient(priv.kafka.bootstrap).producer();
    await producer.connect();
    for (let i = 0; i < N; i += 1000)
      await producer.send({
        topic: dlqTopic,
        acks: -1,
        messages: Array.from({ length: 1000 }, (_, j) => ({
          key: `k${i + j}`,
          value: `{"n":${i + j}}`,
          partition: (i + j) % 2,
          headers: {
            [HEADER.topic]: original,
            [HEADER.partition]: String((i + j) % 3),
            [HEADER.offset]: String(i + j),
            [HEADER.stage]: 'TASK_PUT',
            [HEADER.exceptionClass]: 'java.sql.SQLTransientConnectionException',
          },
        })),
      });
    await producer.disconnect();
    // A sink that names the DLQ, so discovery finds it; its own input stays empty.
    await putConnector(w.url, name, {
      'connector.class': TEST_PLUGINS.errantRecordSink,
      'tasks.max': '1',
      topics: 'mid-replay-unused-in',
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': dlqTopic,
      'errors.deadletterqueue.topic.replication.factor': '1',
      'errors.deadletterqueue.context.headers.enable': 'true',
    });
    await waitForConnectorState(w.url, name, allRunning(1), 90_000);
  });
  afterAll(async () => {
    await priv?.stop();
  });

  test('a clear error and exit 1, then a rerun completes with every record republished exactly once', async () => {
    const w = priv.workers[0]!;
    const args = ['replay', '--connector', name, '--rate', '2000', '--output', 'json'];
    const running = dlq(w.url, priv.kafka.bootstrap, ...args);
    await waitFor('part of the replay to land', async () =>
      (await endOffset(priv.kafka.bootstrap, original)) >= 1000 ? true : undefined,
    );
    await priv.kafka.stop();
    const failed = await running;
    expect(failed.code).toBe(1);
    // What failed and where: producing, committing the position, or reading the DLQ.
    expect(failed.err).toMatch(/^connect-sentinel dlq replay: (producing|committing|reading|connect).+/);
    expect(failed.err).toMatch(/run the same command again to resume/);
    const partial = summaryOf(failed);
    expect(partial.republished).toBeGreaterThan(0);
    expect(partial.republished).toBeLessThan(N);

    await priv.kafka.start();
    const rerun = await waitFor(
      'a rerun once the broker answers',
      async () => {
        const r = await dlq(
          w.url,
          priv.kafka.bootstrap,
          ...args.filter((a) => a !== '--rate' && a !== '2000'),
        );
        return r.code === 0 ? r : undefined;
      },
      120_000,
    );
    const s = summaryOf(rerun);
    expect(s.failed).toBe(0);

    const records = await consume(priv.kafka.bootstrap, original, N, 60_000);
    const offsets = records.map((r) => Number(r.headers['connect-sentinel.replay.dlq.offset']));
    const coords = records.map(
      (r) =>
        `${r.headers['connect-sentinel.replay.dlq.partition']}:${r.headers['connect-sentinel.replay.dlq.offset']}`,
    );
    // Every DLQ record once: no coordinate twice, N in all, and nothing more in the topic.
    expect(new Set(coords).size).toBe(N);
    expect(offsets.every((o) => Number.isInteger(o))).toBe(true);
    expect(await endOffset(priv.kafka.bootstrap, original)).toBe(N);
    const again = await dlq(w.url, priv.kafka.bootstrap, ...args);
    expect(summaryOf(again)).toMatchObject({ read: 0, republished: 0 });
  });
});
