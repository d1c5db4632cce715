import { describe, expect, it } from 'vitest';
import { ExpositionSyntaxError, parseExposition, valueOf } from '../../sim/exposition-parser.js';

const ok = `# HELP a_total Things.\\nMore.
# TYPE a_total counter
a_total{x="q\\"uote",y="back\\\\slash",z="new\\nline"} 3
a_total{x="ü ✓ 🚀"} 1e+21
# TYPE b gauge
b NaN
b{s="1"} -Inf 1700000000000
`;

describe('the strict exposition parser used by the tests', () => {
  it('unescapes label values and reads every value form', () => {
    const f = parseExposition(Buffer.from(ok));
    expect(f.get('a_total')?.help).toBe('Things.\nMore.');
    expect(f.get('a_total')?.type).toBe('counter');
    expect(f.get('a_total')?.samples[0]?.labels).toEqual({ x: 'q"uote', y: 'back\\slash', z: 'new\nline' });
    expect(valueOf(f, 'a_total', { x: 'ü ✓ 🚀' })).toBe(1e21);
    expect(() => valueOf(f, 'b')).toThrow(/2 samples/);
    expect(valueOf(f, 'b', { s: '1' })).toBe(-Infinity);
  });

  it.each([
    ['an unknown escape', 'a{x="\\t"} 1\n'],
    ['an unterminated value', 'a{x="abc} 1\n'],
    ['a duplicate series', 'a{x="1"} 1\na{x="1"} 2\n'],
    ['a duplicate label', 'a{x="1",x="2"} 1\n'],
    ['a family in two places', 'a 1\nb 1\na{x="1"} 1\n'],
    ['a TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['a bad value', 'a 1,5\n'],
    ['a bad metric name', '1a 1\n'],
    ['a missing final line feed', 'a 1'],
  ])('rejects %s', (_, text) => {
    expect(() => parseExposition(text)).toThrow(ExpositionSyntaxError);
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(() =>
      parseExposition(Buffer.from([0x61, 0x7b, 0x78, 0x3d, 0x22, 0xff, 0x22, 0x7d, 0x20, 0x31, 0x0a])),
    ).toThrow();
  });
});
