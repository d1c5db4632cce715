import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  JsonBodyError,
  JsonMemberSplitter,
  nestingDepth,
  parseJson,
  type JsonBodyEnd,
  type MemberSink,
} from '../../../src/lib/json-members.js';

interface Seen {
  readonly members: [string, unknown, string][];
  readonly end?: JsonBodyEnd;
  readonly error?: unknown;
  readonly failedAt?: number;
}

/** Feeds `body` cut at `cuts`; records each member with its value and the value's bytes as text. */
function split(
  body: string | Buffer,
  cuts: number[] = [],
  sink: Partial<MemberSink> = {},
  maxDepth = 64,
): Seen {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const members: [string, unknown, string][] = [];
  const splitter = new JsonMemberSplitter(
    {
      ...sink,
      member: (name, value, buf, from, to) => {
        sink.member?.(name, value, buf, from, to);
        members.push([name, value, buf.toString('utf8', from, to)]);
      },
    },
    { maxDepth },
  );
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  let from = 0;
  let pushed = 0;
  try {
    for (const p of [...points, bytes.length]) {
      pushed++;
      splitter.push(Buffer.from(bytes.subarray(from, p)));
      from = p;
    }
    return { members, end: splitter.end() };
  } catch (error) {
    return { members, error, failedAt: pushed };
  }
}

const entries = (n: number): [string, unknown][] =>
  Array.from({ length: n }, (_, i) => [
    `m${i}`,
    { status: { name: `m${i}`, tasks: [{ id: 0 }, { id: 1 }] }, info: { config: { k: `v}},"${i}` } } },
  ]);

describe('JsonMemberSplitter', () => {
  test('hands over each member of the top-level object in body order, however the body is cut', () => {
    const list = entries(20);
    const compact = JSON.stringify(Object.fromEntries(list));
    const pretty = JSON.stringify(Object.fromEntries(list), null, 2);
    for (const body of [compact, pretty, ` \n${compact}\n `]) {
      for (const cuts of [[], [1], [7, 300, 301], Array.from({ length: body.length }, (_, i) => i)]) {
        const seen = split(body, cuts);
        expect(seen.error).toBeUndefined();
        expect(seen.members.map(([name, value]) => [name, value])).toEqual(list);
        for (const [, value, text] of seen.members) expect(JSON.parse(text)).toEqual(value);
        expect(seen.end).toEqual({ kind: 'object', members: 20 });
      }
    }
  });

  test('a member the sink knows by its bytes is taken unparsed', () => {
    const body = JSON.stringify(Object.fromEntries(entries(5)));
    const known = new Map(entries(5).map(([k, v]) => [k, JSON.stringify(v)]));
    known.delete('m2');
    const asked: string[] = [];
    const seen = split(body, [40, 41, 200], {
      known: (name, buf, from, to) => {
        asked.push(name);
        return known.get(name) === buf.toString('utf8', from, to);
      },
    });
    expect(asked).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(seen.members.map(([name]) => name)).toEqual(['m2']);
    expect(seen.end).toEqual({ kind: 'object', members: 5 });
  });

  test('a name given twice is handed over twice', () => {
    expect(split('{"a":1,"b":2,"a":3}').members.map(([n, v]) => [n, v])).toEqual([
      ['a', 1],
      ['b', 2],
      ['a', 3],
    ]);
  });

  test('any other top-level value is parsed whole at the end', () => {
    expect(split(' ["a", "b"] ', [3]).end).toEqual({ kind: 'value', value: ['a', 'b'] });
    expect(split('"x"').end).toEqual({ kind: 'value', value: 'x' });
    expect(split('[1,').error).toBeInstanceOf(JsonBodyError);
  });

  test('syntax errors are JsonBodyErrors thrown by the push that sees them, and stay thrown', () => {
    const body = JSON.stringify(Object.fromEntries(entries(50))).replace(',"m10"', ',,"m10"');
    const cuts = Array.from({ length: 50 }, (_, i) => i * 200);
    const seen = split(body, cuts);
    expect(seen.error).toBeInstanceOf(JsonBodyError);
    expect((seen.error as JsonBodyError).kind).toBe('syntax');
    expect((seen.error as Error).message).toBe(
      `Expected a member before ',' at byte ${body.indexOf(',,') + 1}`,
    );
    expect(seen.failedAt).toBe(Math.floor((body.indexOf(',,') + 1) / 200) + 1);
    expect(seen.members.map(([n]) => n)).toEqual(entries(10).map(([n]) => n));

    const splitter = new JsonMemberSplitter({ member: () => undefined }, { maxDepth: 8 });
    expect(() => splitter.push(Buffer.from('{"a" 1}'))).toThrow("Expected ':' at byte 6");
    expect(() => splitter.push(Buffer.from('}'))).toThrow("Expected ':' at byte 6");
    expect(() => splitter.end()).toThrow("Expected ':' at byte 6");
  });

  test('what the sink throws stops the body', () => {
    const boom = new Error('enough');
    let calls = 0;
    const seen = split(JSON.stringify(Object.fromEntries(entries(5))), [], {
      member: () => {
        if (++calls === 3) throw boom;
      },
    });
    expect(seen.error).toBe(boom);
    expect(seen.members).toHaveLength(2);
  });

  test('nesting deeper than maxDepth fails before it is parsed, on every path', () => {
    const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    // Compact members (the indexOf path), members the scanner finds, and a top-level array.
    for (const [body, depth] of [
      [`{"a":{"x":{"y":${nested(5)}}},"b":{}}`, 8],
      [`{"a":{"x":{"y":${nested(6)}}},"b":{}}`, 9],
      [`{ "a" : ${nested(7)} }`, 8],
      [nested(8), 8],
    ] as const) {
      for (const cuts of [[], [3, 9, 12]]) {
        expect(split(body, cuts, {}, depth).error, body).toBeUndefined();
        const deeper = split(body, cuts, {}, depth - 1).error;
        expect(deeper, body).toBeInstanceOf(JsonBodyError);
        expect((deeper as JsonBodyError).kind).toBe('depth');
        expect((deeper as Error).message).toMatch(new RegExp(`^nested deeper than ${depth - 1} levels`));
      }
    }
    // Brackets inside strings do not count.
    expect(split(`{"a":"${'['.repeat(100)}"}`, [], {}, 2).error).toBeUndefined();
  });

  test('a maxDepth that is not a positive integer is refused', () => {
    expect(() => new JsonMemberSplitter({ member: () => undefined }, { maxDepth: 0 })).toThrow(
      'maxDepth must be a positive integer, got 0',
    );
  });

  test('agrees with JSON.parse on any JSON object, cut anywhere (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })),
        fc.boolean(),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 6 }),
        (obj, pretty, cuts) => {
          const body = pretty ? JSON.stringify(obj, null, 1) : JSON.stringify(obj);
          const seen = split(body, cuts);
          expect(Object.fromEntries(seen.members.map(([n, v]) => [n, v]))).toStrictEqual(
            Object.fromEntries(Object.entries(JSON.parse(body) as object)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('nestingDepth and parseJson', () => {
  test('nestingDepth counts brackets outside strings, and stops once over the limit', () => {
    expect(nestingDepth(Buffer.from('1'), 5)).toBe(0);
    expect(nestingDepth(Buffer.from('{"a":[{"b":"[[[\\"[["}]}'), 5)).toBe(3);
    expect(nestingDepth(Buffer.from('[[[[[[]]]]]]'), 5)).toBe(-1);
  });

  test('parseJson parses, or says why not', () => {
    expect(parseJson(Buffer.from('{"a":[1]}'), 2)).toEqual({ a: [1] });
    expect(() => parseJson(Buffer.from('{"a":[1]}'), 1)).toThrow('nested deeper than 1 levels');
    let bad: unknown;
    try {
      parseJson(Buffer.from('{"a":'), 5);
    } catch (err) {
      bad = err;
    }
    expect(bad).toBeInstanceOf(JsonBodyError);
    expect((bad as JsonBodyError).kind).toBe('syntax');
    expect((bad as Error).cause).toBeInstanceOf(SyntaxError);
  });
});
