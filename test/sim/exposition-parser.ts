/**
 * A strict parser of the Prometheus text format 0.0.4, for tests and benches: it rejects what Prometheus'
 * own parser rejects (bad names, unknown escapes, raw line breaks in values, invalid UTF-8, duplicate series,
 * a family split in two, samples before their TYPE) and returns every sample with its labels unescaped.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help?: string;
  type?: string;
  readonly samples: Sample[];
}

export class ExpositionSyntaxError extends Error {
  override readonly name = 'ExpositionSyntaxError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = ['_total', '_bucket', '_sum', '_count', '_created'];

/** As Go's strconv.ParseFloat, which Prometheus uses: NaN and Inf in any case (prom-client writes "Nan"). */
function parseValue(text: string, line: number): number {
  if (/^nan$/i.test(text)) return NaN;
  const inf = /^([+-]?)inf(?:inity)?$/i.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) {
    throw new ExpositionSyntaxError(line, `"${text}" is not a float`);
  }
  return Number(text);
}

/** The family a sample belongs to: its own name, or the name without a histogram/summary suffix. */
function familyOf(name: string, families: ReadonlyMap<string, Family>): string {
  if (families.has(name)) return name;
  for (const s of SUFFIXES) {
    if (name.endsWith(s) && families.has(name.slice(0, -s.length))) return name.slice(0, -s.length);
  }
  return name;
}

export function parseExposition(input: Buffer | string): Map<string, Family> {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  const families = new Map<string, Family>();
  const seriesSeen = new Set<string>();
  const closed = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  else if (text.length > 0)
    throw new ExpositionSyntaxError(lines.length, 'the text does not end with a line feed');

  const enter = (name: string, line: number): Family => {
    if (current !== name) {
      if (closed.has(name)) throw new ExpositionSyntaxError(line, `family ${name} appears in two places`);
      if (current !== undefined) closed.add(current);
      current = name;
    }
    let fam = families.get(name);
    if (!fam) {
      fam = { name, samples: [] };
      families.set(name, fam);
    }
    return fam;
  };

  lines.forEach((raw, i) => {
    const no = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
      if (!m) return; // other comments are allowed anywhere
      const [, kw, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name) || METRIC_NAME.exec(name)?.[0] !== name) {
        throw new ExpositionSyntaxError(no, `"${name}" is not a metric name`);
      }
      const fam = enter(name, no);
      if (kw === 'HELP') {
        if (fam.help !== undefined) throw new ExpositionSyntaxError(no, `second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, '')))
          throw new ExpositionSyntaxError(no, 'bad escape in HELP');
        fam.help = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      } else {
        if (fam.type !== undefined) throw new ExpositionSyntaxError(no, `second TYPE for ${name}`);
        if (fam.samples.length > 0) throw new ExpositionSyntaxError(no, `TYPE for ${name} after its samples`);
        if (!TYPES.has(rest.trim())) throw new ExpositionSyntaxError(no, `unknown type "${rest}"`);
        fam.type = rest.trim();
      }
      return;
    }
    const nm = METRIC_NAME.exec(raw);
    if (!nm) throw new ExpositionSyntaxError(no, 'line does not start with a metric name');
    const name = nm[0];
    let pos = name.length;
    const labels: Record<string, string> = {};
    if (raw[pos] === '{') {
      pos++;
      for (;;) {
        while (raw[pos] === ' ') pos++;
        if (raw[pos] === '}') {
          pos++;
          break;
        }
        const ln = LABEL_NAME.exec(raw.slice(pos));
        if (!ln) throw new ExpositionSyntaxError(no, `bad label name at column ${pos + 1}`);
        const label = ln[0];
        pos += label.length;
        if (raw[pos] !== '=' || raw[pos + 1] !== '"')
          throw new ExpositionSyntaxError(no, `expected =" after ${label}`);
        pos += 2;
        let value = '';
        for (;;) {
          const ch = raw[pos];
          if (ch === undefined) throw new ExpositionSyntaxError(no, `unterminated value of ${label}`);
          if (ch === '"') {
            pos++;
            break;
          }
          if (ch === '\\') {
            const e = raw[pos + 1];
            if (e === '\\') value += '\\';
            else if (e === '"') value += '"';
            else if (e === 'n') value += '\n';
            else throw new ExpositionSyntaxError(no, `invalid escape \\${e ?? ''} in ${label}`);
            pos += 2;
            continue;
          }
          value += ch;
          pos++;
        }
        if (Object.hasOwn(labels, label)) throw new ExpositionSyntaxError(no, `label ${label} twice`);
        labels[label] = value;
        if (raw[pos] === ',') {
          pos++;
          continue;
        }
        if (raw[pos] !== '}') throw new ExpositionSyntaxError(no, `expected , or } after ${label}`);
      }
    }
    if (raw[pos] !== ' ') throw new ExpositionSyntaxError(no, 'expected a space before the value');
    const parts = raw
      .slice(pos + 1)
      .trim()
      .split(/ +/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '')
      throw new ExpositionSyntaxError(no, 'expected value [timestamp]');
    const value = parseValue(parts[0] as string, no);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1]))
      throw new ExpositionSyntaxError(no, 'bad timestamp');
    const fam = enter(familyOf(name, families), no);
    const key = `${name}\u0000${Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}`;
    if (seriesSeen.has(key)) throw new ExpositionSyntaxError(no, `duplicate series ${raw}`);
    seriesSeen.add(key);
    fam.samples.push({ name, labels, value });
  });
  return families;
}

/** Every sample of a family (empty when the family is absent). */
export function samplesOf(families: ReadonlyMap<string, Family>, name: string): Sample[] {
  return families.get(name)?.samples ?? [];
}

/** The value of the one sample of `name` whose labels include `match`; undefined when none. */
export function valueOf(
  families: ReadonlyMap<string, Family>,
  name: string,
  match: Readonly<Record<string, string>> = {},
): number | undefined {
  const hits = samplesOf(families, name).filter((s) =>
    Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(match)}`);
  return hits[0]?.value;
}
