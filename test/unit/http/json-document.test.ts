/** The JSON endpoints' document: made once per publication, written as shared buffers, filtered by choosing items. */
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { JsonDocument, type JsonFilter, type JsonItem } from '../../../src/http/json-document.js';
import { parseJsonQuery } from '../../../src/http/json-query.js';

const item = (connector: string, states: string[], extra: Record<string, unknown> = {}): JsonItem => ({
  connector,
  states,
  value: { name: connector, state: states[0], ...extra },
});

function text(doc: JsonDocument, filter: JsonFilter = {}, pretty = false): string {
  const body = doc.body(filter, pretty);
  const joined = Buffer.concat(body.parts);
  expect(joined.length).toBe(body.length);
  return joined.toString('utf8');
}

function twoClusters(): JsonDocument {
  const doc = new JsonDocument();
  doc.setClusters(['prod', 'staging']);
  doc.setCluster('prod', { name: 'prod', polled: true }, [
    item('orders-sink', ['RUNNING', 'RUNNING', 'FAILED']),
    item('audit-sink', ['RUNNING', 'RUNNING']),
    item('clicks-source', ['PAUSED']),
  ]);
  doc.setCluster('staging', { name: 'staging', polled: true }, [item('orders-sink', ['FAILED'])]);
  return doc;
}

const names = (json: string): string[][] =>
  (JSON.parse(json) as { clusters: { name: string; connectors?: { name: string }[] }[] }).clusters.map(
    (c) => [c.name, ...(c.connectors ?? []).map((x) => x.name)],
  );

describe('the document as a client reads it', () => {
  test('clusters in the configured order, each with its head fields first and its connectors last', () => {
    const doc = twoClusters();
    expect(text(doc)).toBe(
      '{"clusters":[{"name":"prod","polled":true,"connectors":[' +
        '{"name":"orders-sink","state":"RUNNING"},{"name":"audit-sink","state":"RUNNING"},{"name":"clicks-source","state":"PAUSED"}]},' +
        '{"name":"staging","polled":true,"connectors":[{"name":"orders-sink","state":"FAILED"}]}]}',
    );
    doc.setClusters(['staging', 'prod']);
    expect(names(text(doc))).toEqual([
      ['staging', 'orders-sink'],
      ['prod', 'orders-sink', 'audit-sink', 'clicks-source'],
    ]);
  });

  test('a cluster without items is its head alone; a cluster not set yet is left out; no clusters is an empty list', () => {
    const doc = new JsonDocument();
    expect(text(doc)).toBe('{"clusters":[]}');
    doc.setClusters(['a', 'b', 'c']);
    doc.setCluster('a', { name: 'a', polled: false });
    doc.setCluster('c', { name: 'c' }, []);
    expect(text(doc)).toBe('{"clusters":[{"name":"a","polled":false},{"name":"c","connectors":[]}]}');
  });

  test('an update replaces the cluster; dropping a cluster from the order drops its content', () => {
    const doc = twoClusters();
    doc.setCluster('prod', { name: 'prod', polled: true }, [item('new', ['RUNNING'])]);
    expect(names(text(doc))).toEqual([
      ['prod', 'new'],
      ['staging', 'orders-sink'],
    ]);
    doc.setClusters(['prod']);
    doc.setClusters(['prod', 'staging']);
    expect(names(text(doc))).toEqual([['prod', 'new']]);
  });

  test('misuse is named: an unknown cluster, a head with its own connectors field', () => {
    const doc = new JsonDocument();
    doc.setClusters(['a']);
    expect(() => doc.setCluster('b', { name: 'b' }, [])).toThrow(
      /cluster "b" is not one of this document's clusters \(a\)/,
    );
    expect(() => doc.setCluster('a', { name: 'a', connectors: [] }, [])).toThrow(/has a "connectors" field/);
  });
});

describe('filters choose items, never re-serialize', () => {
  test('?connector= keeps the named connector in every cluster', () => {
    expect(names(text(twoClusters(), parseJsonQuery('connector=orders-sink').filter))).toEqual([
      ['prod', 'orders-sink'],
      ['staging', 'orders-sink'],
    ]);
    expect(
      names(text(twoClusters(), parseJsonQuery('connector=audit-sink&connector=clicks-source').filter)),
    ).toEqual([['prod', 'audit-sink', 'clicks-source'], ['staging']]);
  });

  test('?cluster= keeps the named clusters', () => {
    expect(names(text(twoClusters(), parseJsonQuery('cluster=staging').filter))).toEqual([
      ['staging', 'orders-sink'],
    ]);
    expect(names(text(twoClusters(), parseJsonQuery('cluster=nope').filter))).toEqual([]);
  });

  test("?state= matches the connector's state or any of its tasks' states, in any case", () => {
    expect(names(text(twoClusters(), parseJsonQuery('state=FAILED').filter))).toEqual([
      ['prod', 'orders-sink'],
      ['staging', 'orders-sink'],
    ]);
    expect(names(text(twoClusters(), parseJsonQuery('state=paused').filter))).toEqual([
      ['prod', 'clicks-source'],
      ['staging'],
    ]);
  });

  test('different filters all apply', () => {
    expect(
      names(text(twoClusters(), parseJsonQuery('cluster=prod&state=RUNNING&connector=audit-sink').filter)),
    ).toEqual([['prod', 'audit-sink']]);
  });

  test('a filtered body is made of the buffers made at update time: the same objects for every request', () => {
    const doc = twoClusters();
    const filter = parseJsonQuery('state=FAILED').filter;
    const first = doc.body(filter, false).parts;
    const second = doc.body(filter, false).parts;
    expect(second).toHaveLength(first.length);
    second.forEach((b, i) => expect(b).toBe(first[i]));
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      doc.body({}, false);
      doc.body(filter, false);
      expect(stringify).not.toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
    }
  });
});

describe('updates', () => {
  test('a large cluster is serialized in slices with pauses between, and swapped in at once at the end', async () => {
    const doc = twoClusters();
    const before = text(doc);
    const items = Array.from({ length: 20_000 }, (_, i) =>
      item(`c-${i}`, ['RUNNING'], { config: { topics: 'a,b,c'.repeat(20), i } }),
    );
    let pauses = 0;
    await doc.setClusterAsync('prod', { name: 'prod', polled: true }, items, async () => {
      pauses++;
      // Requests served meanwhile still get the previous content, whole.
      expect(text(doc)).toBe(before);
    });
    expect(pauses).toBeGreaterThan(0);
    const after = JSON.parse(text(doc)) as { clusters: { connectors: unknown[] }[] };
    expect(after.clusters.map((c) => c.connectors.length)).toEqual([20_000, 1]);
  });

  test('a cluster dropped from the document while it was being serialized stays dropped', async () => {
    const doc = twoClusters();
    const items = Array.from({ length: 20_000 }, (_, i) =>
      item(`c-${i}`, ['RUNNING'], { pad: 'x'.repeat(200) }),
    );
    await doc.setClusterAsync('prod', { name: 'prod' }, items, async () => doc.setClusters(['staging']));
    expect(names(text(doc))).toEqual([['staging', 'orders-sink']]);
  });
});

describe('?pretty', () => {
  test('is JSON.stringify(…, null, 2) of the same document, filters included', () => {
    const doc = twoClusters();
    for (const q of ['', 'state=FAILED', 'connector=nope', 'cluster=staging', 'cluster=nope']) {
      const filter = parseJsonQuery(q).filter;
      expect(text(doc, filter, true)).toBe(JSON.stringify(JSON.parse(text(doc, filter)), null, 2));
    }
  });

  test('is made at most once per publication of a cluster, then shared', () => {
    const doc = twoClusters();
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const first = doc.body({}, true).parts;
      const made = parse.mock.calls.length;
      expect(made).toBeGreaterThan(0);
      const again = doc.body({}, true).parts;
      again.forEach((b, i) => expect(b).toBe(first[i]));
      expect(parse.mock.calls.length).toBe(made);
      doc.setCluster('staging', { name: 'staging' }, [item('x', ['RUNNING'])]);
      doc.body({}, true);
      // Only the changed cluster is made again: its head and its items.
      expect(parse.mock.calls.length).toBe(made + 2);
    } finally {
      parse.mockRestore();
    }
  });

  test('any document, filtered or not: valid JSON equal to what was set, pretty equal to JSON.stringify', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    const cluster = fc.record({
      head: fc.dictionary(
        fc.string().filter((k) => k !== 'connectors' && k !== '__proto__'),
        value,
        { maxKeys: 4 },
      ),
      items: fc.option(
        fc.array(
          fc.record({
            connector: fc.constantFrom('a', 'b', 'é"\n'),
            states: fc.subarray(['RUNNING', 'FAILED']),
            value,
          }),
          {
            maxLength: 5,
          },
        ),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(cluster, { maxLength: 3 }),
        fc.constantFrom('', 'connector=a', 'state=failed', 'cluster=c1', 'connector=b&state=RUNNING'),
        (clusters, q) => {
          const doc = new JsonDocument();
          doc.setClusters(clusters.map((_, i) => `c${i}`));
          clusters.forEach((c, i) => doc.setCluster(`c${i}`, c.head, c.items));
          const { filter } = parseJsonQuery(q);
          const expected = {
            clusters: clusters.flatMap((c, i) => {
              if (filter.clusters && !filter.clusters.has(`c${i}`)) return [];
              if (c.items === undefined) return [c.head];
              const kept = c.items.filter(
                (it) =>
                  (!filter.connectors || filter.connectors.has(it.connector)) &&
                  (!filter.states || it.states.some((s) => filter.states?.has(s))),
              );
              return [{ ...c.head, connectors: kept.map((it) => it.value) }];
            }),
          };
          const compact = text(doc, filter);
          expect(compact).toBe(JSON.stringify(expected));
          expect(text(doc, filter, true)).toBe(JSON.stringify(expected, null, 2));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the query', () => {
  test('unknown parameters and empty filters are errors naming them; pretty takes no value, true or false', () => {
    expect(() => parseJsonQuery('connectr=a')).toThrow(
      'unknown query parameter "connectr" (known: cluster, connector, state, pretty)',
    );
    expect(() => parseJsonQuery('state=')).toThrow('state= needs a value');
    expect(() => parseJsonQuery('pretty=yes')).toThrow('pretty="yes": expected no value, true or false');
    expect(parseJsonQuery('pretty').pretty).toBe(true);
    expect(parseJsonQuery('pretty=false').pretty).toBe(false);
    expect(parseJsonQuery('').filter).toEqual({});
  });
});
