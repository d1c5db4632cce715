/**
 * The streaming parser of the expanded connector list against what the client did before it streamed:
 * `parseExpanded(JSON.parse(body))` (then parseNameList). The same connectors with the same views and the
 * same incomplete names (as sets), and an error for the same bodies, wherever the body is cut into chunks;
 * plus the caps (nesting, connectors, traces) and the errors' text.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, test } from 'vitest';
import { ConnectResponseError } from '../../../src/connect/errors.js';
import { ExpandedAnswerParser } from '../../../src/connect/expanded-stream.js';
import { CONNECT_LIMIT_DEFAULTS } from '../../../src/connect/limits.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import { JsonBodyError } from '../../../src/lib/json-members.js';
import { expandedAnswer } from '../../fixtures/connectors.js';
import {
  EXPANDED_PATH,
  chunksAt,
  normalize,
  viaJsonParse,
  viaStream,
  type Outcome,
} from './expanded-reference.js';

type Entry = Record<string, unknown>;

function entry(name: string, opts: { tasks?: number; config?: Record<string, string> } = {}): Entry {
  const tasks = Array.from({ length: opts.tasks ?? 2 }, (_, id) => ({
    id,
    state: id === 1 ? 'FAILED' : 'RUNNING',
    worker_id: `10.0.0.${id}:8083`,
    ...(id === 1
      ? { trace: 'org.apache.kafka.connect.errors.ConnectException: boom\n\tat x.y(Z.java:1)' }
      : {}),
  }));
  return {
    status: { name, connector: { state: 'RUNNING', worker_id: '10.0.0.1:8083' }, tasks, type: 'sink' },
    info: {
      name,
      config: { 'connector.class': 'FileStreamSink', topics: 't', ...opts.config },
      tasks: tasks.map((t) => ({ connector: name, task: t.id })),
      type: 'sink',
    },
  };
}

/** A body with the members in this order, duplicates and all (JSON.stringify cannot repeat a key). */
function bodyOf(
  members: readonly (readonly [string, unknown])[],
  layout: 'compact' | 'pretty' = 'compact',
): string {
  if (layout === 'compact')
    return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
  const inner = members
    .map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v, null, 2)}`)
    .join(' ,\n');
  return `\n {\n${inner}\n}\n\n`;
}

function expectSame(
  body: Buffer | string,
  cuts: readonly number[],
  expected: Outcome = viaJsonParse(body),
): Outcome {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const got = viaStream(chunksAt(bytes, cuts));
  // Node's strict comparison first (thousands of cuts per body); vitest's for the diff when they differ.
  if (!isDeepStrictEqual(got.outcome, expected)) expect(got.outcome).toStrictEqual(expected);
  return expected;
}

/** Every cut into two chunks, and every byte its own chunk. */
function expectSameEverywhere(body: Buffer | string): Outcome {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const expected = expectSame(bytes, []);
  for (let p = 1; p < bytes.length; p++) expectSame(bytes, [p], expected);
  expectSame(
    bytes,
    Array.from({ length: bytes.length }, (_, i) => i),
    expected,
  );
  return expected;
}

const ODD_NAMES = [
  'quo"te',
  'back\\slash',
  'new\nline\ttab',
  'üñí€ode',
  'astral 😀𝄞 chars',
  '\u2028\u2029',
  'nul\u0000byte',
  'x'.repeat(1000),
  '😀'.repeat(300),
  '__proto__',
  'constructor',
  'toString',
  'ends}},',
  'brace}},"inside',
  '',
  ' ',
];

// Every cut of every body: seconds of work, more on a busy machine.
describe('ExpandedAnswerParser agrees with JSON.parse + parseExpanded', { timeout: 60_000 }, () => {
  test('the fixture, compact and pretty-printed, cut anywhere', () => {
    const compact = JSON.stringify(expandedAnswer);
    const out = expectSameEverywhere(compact);
    expect('ok' in out && out.ok.kind === 'expanded' && out.ok.connectors).toHaveLength(3);
    expectSameEverywhere(JSON.stringify(expandedAnswer, null, 2));
    expectSameEverywhere(bodyOf(Object.entries(expandedAnswer), 'pretty'));
  });

  test('odd names: quotes, backslashes, control characters, astral characters cut mid-way, 1,000 characters, __proto__', () => {
    const members = ODD_NAMES.map((n) => [n, entry(n, { tasks: 0 })] as const);
    const out = expectSameEverywhere(bodyOf(members));
    expect('ok' in out && out.ok.kind === 'expanded' && out.ok.connectors.map((c) => c.name)).toEqual(
      [...ODD_NAMES].sort(),
    );
    // The names in config keys and values too, pretty-printed, cut at a few hundred places.
    const inConfig = ODD_NAMES.map((n) => [n, entry(n, { config: { [n]: n } })] as const);
    for (const layout of ['compact', 'pretty'] as const) {
      const body = Buffer.from(bodyOf(inConfig, layout));
      const expected = viaJsonParse(body);
      for (let k = 1; k < 300; k++) expectSame(body, [k * 7, k * 131, k * 131 + 1, k * 131 + 2], expected);
    }
  });

  test('escaped names decode the same as JSON.parse decodes them', () => {
    const raw =
      '{"\\u0061\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00":' +
      JSON.stringify(entry('a')) +
      ',"\\\\":' +
      JSON.stringify(entry('b')) +
      ',"\\\\\\"":{}}';
    const out = expectSameEverywhere(raw);
    expect('ok' in out && out.ok.kind === 'expanded' && out.ok.incomplete).toEqual(['\\"']);
  });

  test('names that are array indices are connectors like any other', () => {
    const names = ['b', '10', '2', 'a', '4294967295', '4294967294', '01', '-1', '0', '1e3'];
    const out = expectSameEverywhere(bodyOf(names.map((n) => [n, entry(n)])));
    expect('ok' in out && out.ok.kind === 'expanded' && out.ok.connectors.map((c) => c.name)).toEqual(
      [...names].sort(),
    );
  });

  test('a duplicate name keeps its last value', () => {
    const bad = { status: { connector: {} }, info: {} }; // status without a name: parseView throws
    const first = { ...entry('a'), info: { ...(entry('a').info as Entry), config: { x: 'first' } } };
    const last = { ...entry('a'), info: { ...(entry('a').info as Entry), config: { x: 'last' } } };
    const out = expectSameEverywhere(
      bodyOf([
        ['a', first],
        ['b', entry('b')],
        ['a', last],
        ['__proto__', bad],
        ['c', {}],
        ['__proto__', entry('p')],
        ['c', entry('c')],
        ['d', entry('d')],
        ['d', {}],
      ]),
    );
    expect(out).toMatchObject({
      ok: {
        connectors: [{ name: 'a', config: { x: 'last' } }, { name: 'b' }, { name: 'c' }, { name: 'p' }],
        incomplete: ['d'],
      },
    });
    // A bad value replaced by a good one is no error; a good one replaced by a bad one is.
    const failing = expectSameEverywhere(
      bodyOf([
        ['a', entry('a')],
        ['b', entry('b')],
        ['a', bad],
      ]),
    );
    expect(failing).toEqual({ error: 'ConnectResponseError' });
  });

  test('an entry with the wrong content fails the answer once it is complete, with what is wrong', () => {
    const noName = { status: { connector: {} }, info: {} };
    const badTasks = {
      status: { name: 'x', connector: { state: 'RUNNING' }, tasks: 'no' },
      info: { name: 'x' },
    };
    const body = Buffer.from(
      bodyOf([
        ['a', entry('a')],
        ['b', noName],
        ['c', badTasks],
      ]),
    );
    expectSameEverywhere(body);
    const got = viaStream(chunksAt(body, [10, 500]));
    // Held until the end: a later entry of the same name could have replaced it.
    expect(got.failedAfter).toBe(4);
    expect(got.error?.message).toBe(`unexpected answer from ${EXPANDED_PATH}: status.name is not a string`);
    // The same bad entries, but the body is cut off: that is an error too.
    const cut = viaStream([body.subarray(0, -1)]);
    expect(cut.error?.message).toBe(
      `unexpected answer from ${EXPANDED_PATH}: body is not JSON: the body ends at byte ${body.length - 1}, ` +
        'inside the top-level object',
    );
  });

  test('entries without status or info are incomplete, in order', () => {
    expectSameEverywhere(
      bodyOf([
        ['a', {}],
        ['b', { status: (entry('b') as { status: unknown }).status }],
        ['c', entry('c')],
        ['d', null],
        ['e', []],
        ['f', { status: null, info: {} }],
        ['g', 'text'],
      ]),
    );
  });

  test('nested objects and strings that look like the end of an entry', () => {
    const tricky = {
      ...entry('t', { config: { 'a}},': 'b}},', '}},"': '"}},"' } }),
      extra: { deep: { deeper: {} }, list: [{ x: {} }, {}] },
    };
    expectSameEverywhere(
      bodyOf([
        ['t', tricky],
        ['u', { extra: { a: {} } }],
        ['v}},', { info: { a: {} }, status: { b: {} } }],
        ['w', entry('w')],
      ]),
    );
  });

  test('invalid UTF-8 inside names and values decodes to the same replacement characters', () => {
    const base = Buffer.from(
      bodyOf([
        ['aXb', entry('aXb')],
        ['cXd', { status: { name: 'cXd' } }],
        ['e', entry('e')],
      ]),
    );
    for (const bad of [[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0x80, 0x80]]) {
      const body = Buffer.concat(
        base
          .toString('latin1')
          .split('X')
          .flatMap((part, i) =>
            i === 0 ? [Buffer.from(part, 'latin1')] : [Buffer.from(bad), Buffer.from(part, 'latin1')],
          ),
      );
      expectSameEverywhere(body);
    }
  });

  test('bodies that are not an object: the name list of workers before 2.3, other JSON, garbage', () => {
    for (const body of [
      '["a","b"]',
      '  \n ["quo\\"te", "ü"]  ',
      '[]',
      '[1]',
      '["a",]',
      'null',
      '"x"',
      '42',
      'true',
      '',
      '   ',
      '<html><body>502 Bad Gateway</body></html>',
      '\ufeff{}',
      '\u00a0{}',
      `[${'"padding",'.repeat(20)}"x"`,
    ]) {
      expectSameEverywhere(body);
    }
  });

  test('malformed objects fail with a "not JSON" error', () => {
    const a = JSON.stringify(entry('a'));
    const long = `,"pad":"${'p'.repeat(200)}"`; // over 80 characters before the error
    for (const body of ['{}', ' { \n } ', `{"a":${a}}\n\n`]) {
      expect(expectSameEverywhere(body)).toMatchObject({ ok: { kind: 'expanded', incomplete: [] } });
    }
    for (const body of [
      '{',
      '{ ',
      '{"a"',
      `{"a":${a}`,
      `{"a":${a},`,
      `{"a":${a},}`,
      `{"a":${a},,"b":${a}}`,
      '{,}',
      '{ , }',
      `{,"a":${a}}`,
      `{"a":${a}]`,
      `{"a":${a}}}`,
      `{"a":${a}} x`,
      `{"a":${a}}\u00a0`,
      `{"a":${a}} {}`,
      `{"a" ${a}}`,
      `{"a"::${a}}`,
      `{a:${a}}`,
      `{1:${a}}`,
      `{"a":${a} "b":${a}}`,
      `{"a":${a.slice(0, -1)}]}`,
      `{"a":[${a}}]}`,
      `{"a":${a}${long}`,
      `{"a":${a}${long},}`,
      `{"a":${a}${long}}]`,
      '{"a":"unterminated}',
      '{"a":"bad escape \\x"}',
      '{"a":"raw\ncontrol"}',
      '{"a":1e}',
      '{"a":01}',
      '{"a":tru}',
      '{"a":{}}}',
    ]) {
      expect(expectSameEverywhere(body), body).toEqual({ error: 'ConnectResponseError' });
      expect(viaStream([Buffer.from(body)]).error?.message).toMatch(
        /^unexpected answer from \/connectors\?expand=status&expand=info: body is not JSON: ./,
      );
    }
    // What the errors say, for a few.
    const said = (body: string): string | undefined => viaStream([Buffer.from(body)]).error?.problem;
    expect(said('{,}')).toBe("body is not JSON: Expected a member before ',' at byte 1");
    expect(said(`{"a":${a}} x`)).toBe(
      `body is not JSON: Unexpected 'x' after the top-level object at byte ${a.length + 7}`,
    );
    expect(said('{1:2}')).toBe('body is not JSON: member name at byte 1 is not a string');
    expect(said('{"a":tru}')).toMatch(/^body is not JSON: bad value of member "a" at byte 1: .*JSON/);
    expect(said('{')).toBe('body is not JSON: the body ends at byte 1, inside the top-level object');
    expect(said('  ')).toBe('body is not JSON: the body is empty');
  });

  test('a syntax error is thrown from push as soon as it is seen', () => {
    const members = Array.from({ length: 100 }, (_, i) => [`c${i}`, entry(`c${i}`)] as const);
    const good = bodyOf(members);
    const bad = good.replace('},"c3"', '},,"c3"');
    const chunks = chunksAt(
      Buffer.from(bad),
      Array.from({ length: 200 }, (_, i) => i * 1024),
    );
    const got = viaStream(chunks);
    expect(got.outcome).toStrictEqual(viaJsonParse(bad));
    expect(got.failedAfter).toBeLessThanOrEqual(6);
    expect(got.error?.cause).toBeInstanceOf(JsonBodyError);
    // An error in the first chunk is thrown by the first push.
    const early = viaStream(
      chunksAt(
        Buffer.from(`{,${good.slice(1)}`),
        Array.from({ length: 200 }, (_, i) => i * 100),
      ),
    );
    expect(early.outcome).toStrictEqual(viaJsonParse(`{,${good.slice(1)}`));
    expect(early.failedAfter).toBe(1);
  });

  test('a few thousand connectors with 8 tasks, cut into socket-sized and tiny chunks', () => {
    const members = Array.from({ length: 2000 }, (_, i) => {
      const name = `connector-${String(i).padStart(5, '0')}`;
      return [name, i % 97 === 0 ? {} : entry(name, { tasks: 8 })] as const;
    });
    const body = Buffer.from(bodyOf(members));
    const expected = viaJsonParse(body);
    const every = (step: number): number[] =>
      Array.from({ length: Math.ceil(body.length / step) }, (_, i) => i * step);
    for (const cuts of [[], every(65536), every(16384), every(1000), every(7)])
      expectSame(body, cuts, expected);
    const pretty = Buffer.from(bodyOf(members.slice(0, 300), 'pretty'));
    expect(
      viaStream(
        chunksAt(
          pretty,
          Array.from({ length: 500 }, (_, i) => i * 997),
        ),
      ).outcome,
    ).toStrictEqual(viaJsonParse(pretty));
  });

  test('an empty chunk changes nothing, and an error stays thrown', () => {
    const p = new ExpandedAnswerParser(EXPANDED_PATH);
    p.push(Buffer.alloc(0));
    p.push(Buffer.from('{'));
    p.push(Buffer.alloc(0));
    p.push(Buffer.from('}'));
    expect(p.end()).toEqual({ kind: 'expanded', answer: { connectors: [], incomplete: [] } });
    const q = new ExpandedAnswerParser(EXPANDED_PATH);
    const message =
      "unexpected answer from /connectors?expand=status&expand=info: body is not JSON: Unexpected ']' " +
      'where the top-level object should close at byte 1';
    expect(() => q.push(Buffer.from('{]'))).toThrow(message);
    expect(() => q.push(Buffer.from('}'))).toThrow(message);
    expect(() => q.end()).toThrow(ConnectResponseError);
    expect(() => q.end()).toThrow(message);
  });
});

// ---------------------------------------------------------------------------------------------------------
// fast-check: generated answers, mutated into malformed ones, cut at random places.

const nastyUnit = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '"',
      '\\',
      '\n',
      '}},',
      '},"',
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      'é',
      '€',
      '😀',
      '\u2028',
      '\u0000',
      ' ',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const oddName = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: nastyUnit, maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...ODD_NAMES, '0', '1', '10', '007', '4294967294', '4294967295', '-1'),
  },
);
const taskArb = fc.record(
  {
    id: fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0, max: 9 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    ),
    state: fc.constantFrom('RUNNING', 'FAILED', 'PAUSED'),
    worker_id: oddName,
    trace: oddName,
  },
  { requiredKeys: ['id', 'state'] },
);
const goodEntry = fc
  .record({
    name: oddName,
    state: fc.constantFrom('RUNNING', 'FAILED', 'BRAND_NEW'),
    type: fc.constantFrom('sink', 'source', 'other'),
    tasks: fc.array(taskArb, { maxLength: 4 }),
    config: fc.dictionary(oddName, fc.oneof(oddName, fc.integer(), fc.boolean(), fc.constant(null)), {
      maxKeys: 4,
    }),
    extra: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
  })
  .map(({ name, state, type, tasks, config, extra }) => ({
    status: { name, connector: { state, worker_id: 'w' }, tasks, type },
    info: { name, config, type, ...(extra === undefined ? {} : { extra }) },
  }));
const anyEntry = fc.oneof(
  { weight: 6, arbitrary: goodEntry },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: goodEntry.map((e) => ({ status: e.status })) },
  { weight: 1, arbitrary: goodEntry.map((e) => ({ ...e, status: { ...e.status, name: 7 } })) },
);
const membersArb = fc.array(fc.tuple(oddName, anyEntry), { maxLength: 8 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc
        .constantFrom(',', '}', ']', '{', '[', '"', '\\', ':', ' ', 'x', '\u00a0', '}},"')
        .map((s) => Buffer.from(s)),
      fc.uint8Array({ minLength: 1, maxLength: 3 }).map((a) => Buffer.from(a)),
    ),
  }),
);

type Mutation =
  | { kind: 'cut'; at: number }
  | { kind: 'delete'; at: number }
  | { kind: 'insert'; at: number; bytes: Buffer };

function mutate(body: Buffer, m: Mutation): Buffer {
  const at = body.length === 0 ? 0 : m.at % (body.length + 1);
  if (m.kind === 'cut') return Buffer.from(body.subarray(0, at));
  if (m.kind === 'delete') return Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
  return Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
}

const cutsArb = fc.array(fc.nat({ max: 100_000 }), { maxLength: 12 });

/** The body cut where fast-check says (each cut taken modulo the body's length + 1) agrees with JSON.parse. */
function expectAgreesCutAt(body: Buffer, cuts: readonly number[]): void {
  expect(
    viaStream(
      chunksAt(
        body,
        cuts.map((c) => c % (body.length + 1)),
      ),
    ).outcome,
  ).toStrictEqual(viaJsonParse(body));
}

describe('ExpandedAnswerParser (fast-check)', () => {
  test('well-formed answers, compact or pretty, cut anywhere', () => {
    fc.assert(
      fc.property(membersArb, fc.boolean(), cutsArb, (members, pretty, cuts) => {
        expectAgreesCutAt(Buffer.from(bodyOf(members, pretty ? 'pretty' : 'compact')), cuts);
      }),
      { numRuns: 500 },
    );
  });

  test('the same answers mutated: bytes cut off, deleted, inserted', () => {
    fc.assert(
      fc.property(
        membersArb,
        fc.boolean(),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        cutsArb,
        (members, pretty, ms, cuts) => {
          let body: Buffer = Buffer.from(bodyOf(members, pretty ? 'pretty' : 'compact'));
          for (const m of ms) body = mutate(body, m);
          expectAgreesCutAt(body, cuts);
        },
      ),
      { numRuns: 1500 },
    );
  });

  test('any JSON value and any short string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }).map((j) => JSON.stringify(j)),
          fc.string({ unit: 'binary', maxLength: 40 }),
        ),
        cutsArb,
        (text, cuts) => expectAgreesCutAt(Buffer.from(text), cuts),
      ),
      { numRuns: 500 },
    );
  });
});

describe('ExpandedAnswerParser reuses the views of unchanged entries', () => {
  const parse = (
    body: string,
    previous?: ExpandedAnswerParser['remembered'],
  ): { parser: ExpandedAnswerParser; views: Map<string, ConnectorView> } => {
    const parser = new ExpandedAnswerParser(EXPANDED_PATH, previous);
    for (const chunk of chunksAt(Buffer.from(body), [17, 300, 301, 900])) parser.push(chunk);
    const r = parser.end();
    if (r.kind !== 'expanded') throw new Error('expected an expanded answer');
    return { parser, views: new Map(r.answer.connectors.map((c) => [c.name, c])) };
  };

  test('the same bytes give the same view object; changed, new and removed entries are parsed or dropped', () => {
    const a = parse(
      bodyOf([
        ['keep', entry('keep')],
        ['change', entry('change')],
        ['gone', entry('gone')],
      ]),
    );
    const changed = entry('change', { config: { topics: 'other' } });
    const b = parse(
      bodyOf([
        ['keep', entry('keep')],
        ['change', changed],
        ['new', entry('new')],
      ]),
      a.parser.remembered,
    );
    expect(b.views.get('keep')).toBe(a.views.get('keep'));
    expect(b.views.get('change')).not.toBe(a.views.get('change'));
    expect((b.views.get('change') as { config: Record<string, string> }).config.topics).toBe('other');
    expect([...b.parser.remembered.keys()].sort()).toEqual(['change', 'keep', 'new']);
    // Whatever was reused, the answer is what a parser without memory gives.
    const fresh = viaStream([
      Buffer.from(
        bodyOf([
          ['keep', entry('keep')],
          ['change', changed],
          ['new', entry('new')],
        ]),
      ),
    ]);
    expect(
      normalize({ kind: 'expanded', answer: { connectors: [...b.views.values()], incomplete: [] } }),
    ).toStrictEqual(fresh.outcome);
  });

  test('a poll after any other poll gives what a parser without memory gives (fast-check)', () => {
    fc.assert(
      fc.property(membersArb, membersArb, fc.boolean(), cutsArb, (first, second, pretty, cuts) => {
        const layout = pretty ? 'pretty' : 'compact';
        // Half the second answer's members repeat the first answer's, byte for byte.
        const members = [...first.filter((_, i) => i % 2 === 0), ...second];
        const before = new ExpandedAnswerParser(EXPANDED_PATH);
        before.push(Buffer.from(bodyOf(first, layout)));
        try {
          before.end();
        } catch {
          // an error answer leaves nothing to remember that matters
        }
        const body = Buffer.from(bodyOf(members, layout));
        const chunks = chunksAt(
          body,
          cuts.map((c) => c % (body.length + 1)),
        );
        expect(viaStream(chunks, before.remembered).outcome).toStrictEqual(viaStream(chunks).outcome);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ExpandedAnswerParser caps', () => {
  const limits = (over: Partial<typeof CONNECT_LIMIT_DEFAULTS>): typeof CONNECT_LIMIT_DEFAULTS => ({
    ...CONNECT_LIMIT_DEFAULTS,
    ...over,
  });
  const members = (n: number): [string, unknown][] =>
    Array.from({ length: n }, (_, i) => [`c${i}`, entry(`c${i}`)] as [string, unknown]);

  test('nesting deeper than maxJsonDepth fails as soon as it is seen, wherever it is', () => {
    const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    // The top-level object is level 1, an entry level 2, the first array in its `extra` field level 3.
    const inEntry = (levels: number): string =>
      bodyOf([['a', entry('a')], ['b', { ...entry('b'), extra: 'NESTED' }], ...members(3)]).replace(
        '"NESTED"',
        deep(levels),
      );
    const ok = viaStream([Buffer.from(inEntry(62))]);
    expect(ok.outcome).toStrictEqual(viaJsonParse(inEntry(62)));
    for (const body of [inEntry(63), inEntry(100_000), `{"a":${deep(70)}}`, deep(65), `[${deep(64)}]`]) {
      const bytes = Buffer.from(body);
      for (const cuts of [[], Array.from({ length: 100 }, (_, i) => i * 997)]) {
        const got = viaStream(chunksAt(bytes, cuts));
        expect(got.error?.message).toMatch(
          /^unexpected answer from \/connectors\?expand=status&expand=info: JSON nested deeper than 64 levels( at byte \d+)? \(limit maxJsonDepth\)$/,
        );
      }
    }
    // A smaller cap applies as given, and fails the body at the first chunk that goes too deep.
    const chunks = chunksAt(Buffer.from(inEntry(10)), [100, 2000, 2300, 4000]);
    const small = viaStream(chunks, undefined, limits({ maxJsonDepth: 8 }));
    expect(small.error?.problem).toMatch(
      /^JSON nested deeper than 8 levels at byte \d+ \(limit maxJsonDepth\)$/,
    );
    expect(small.failedAfter).toBeLessThanOrEqual(chunks.length);
  });

  test('megabytes of nesting are refused without building them', () => {
    const levels = 1_000_000;
    const body = Buffer.from(`{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`);
    const before = process.memoryUsage().heapUsed;
    const got = viaStream(chunksAt(body, [65_536, 131_072]));
    expect(got.error?.problem).toMatch(/nested deeper than 64 levels/);
    // JSON.parse of it would build a million arrays (over 100 MB).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(50 * 2 ** 20);
    expect(got.failedAfter).toBe(1);
  });

  test('more connectors than maxConnectors fail the answer at the first one too many', () => {
    const body = Buffer.from(bodyOf(members(6)));
    const at5 = limits({ maxConnectors: 5 });
    expect(viaStream([body], undefined, limits({ maxConnectors: 6 })).outcome).toStrictEqual(
      viaJsonParse(body),
    );
    const chunks = chunksAt(
      body,
      Array.from({ length: 6 }, (_, i) => body.indexOf(`"c${i}"`) + 1),
    );
    const got = viaStream(chunks, undefined, at5);
    expect(got.error?.message).toBe(
      `unexpected answer from ${EXPANDED_PATH}: more than 5 connectors (limit maxConnectors)`,
    );
    expect(got.failedAfter).toBe(chunks.length);
    // A name given twice is one connector.
    const twice = Buffer.from(bodyOf([...members(5), ['c0', entry('c0')]]));
    expect(viaStream([twice], undefined, at5).outcome).toMatchObject({ ok: { kind: 'expanded' } });
    // The name list of workers before 2.3: without duplicates, then capped.
    const names = viaStream([Buffer.from(JSON.stringify(['a', 'b', 'a', 'c']))], undefined, at5);
    expect(names.result).toEqual({ kind: 'names', names: ['a', 'b', 'c'] });
    const many = viaStream([Buffer.from(JSON.stringify(['a', 'b', 'c', 'd', 'e', 'f']))], undefined, at5);
    expect(many.error?.problem).toBe('more than 5 connectors (limit maxConnectors)');
  });

  test('a trace longer than maxTraceChars keeps its head and its root cause around a marker', () => {
    const head = 'org.apache.kafka.connect.errors.ConnectException: boom\n';
    const cause = '\nCaused by: java.sql.SQLException: the root cause 😀';
    const huge = `${head}${'\tat x.y(Z.java:1)\n'.repeat(100_000)}${cause}`;
    const big = entry('big');
    const status = big.status as { connector: Record<string, unknown>; tasks: Record<string, unknown>[] };
    status.connector.trace = huge;
    (status.tasks[1] as Record<string, unknown>).trace = huge;
    const body = Buffer.from(bodyOf([['big', big]]));
    for (const max of [CONNECT_LIMIT_DEFAULTS.maxTraceChars, 1000]) {
      const got = viaStream(chunksAt(body, [1000, 500_000]), undefined, limits({ maxTraceChars: max }));
      const view = got.result?.kind === 'expanded' ? got.result.answer.connectors[0] : undefined;
      for (const trace of [view?.trace, view?.tasks[1]?.trace]) {
        expect(trace?.length).toBeLessThanOrEqual(max);
        expect(trace?.length).toBeGreaterThan(max - 2);
        expect(trace?.startsWith(head)).toBe(true);
        expect(trace?.endsWith(cause)).toBe(true);
        expect(trace).toContain(`[trace cut to ${max} of ${huge.length} characters]`);
      }
      expect(view?.tasks[0]?.trace).toBeUndefined();
    }
  });
});
