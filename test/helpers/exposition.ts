/** A strict parser of Prometheus text format 0.0.4 samples, for assertions on /metrics output. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!m) throw new Error(`line ${n + 1}: no metric name: ${line}`);
    const name = m[1] as string;
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i));
        if (!lm) throw new Error(`line ${n + 1}: bad label at ${i}: ${line}`);
        i += lm[0].length;
        let v = '';
        for (;;) {
          const c = line[i];
          if (c === undefined) throw new Error(`line ${n + 1}: unterminated label value`);
          if (c === '"') break;
          if (c === '\\') {
            const e = line[i + 1];
            if (e === 'n') v += '\n';
            else if (e === '\\' || e === '"') v += e;
            else throw new Error(`line ${n + 1}: bad escape \\${e}`);
            i += 2;
            continue;
          }
          v += c;
          i++;
        }
        i++;
        labels[lm[1] as string] = v;
        if (line[i] === ',') i++;
      }
      i++;
    }
    if (line[i] !== ' ') throw new Error(`line ${n + 1}: expected a space before the value: ${line}`);
    const valueText = line.slice(i + 1).split(' ')[0] as string;
    // prom-client writes NaN as "Nan"; Prometheus parses floats case-insensitively, so accept it too.
    const isNaNText = valueText.toLowerCase() === 'nan';
    const value =
      valueText === '+Inf'
        ? Infinity
        : valueText === '-Inf'
          ? -Infinity
          : isNaNText
            ? NaN
            : Number(valueText);
    if (Number.isNaN(value) && !isNaNText) throw new Error(`line ${n + 1}: bad value ${valueText}`);
    out.push({ name, labels, value });
  }
  return out;
}

/** Samples of one metric whose labels include `match`. */
export function samples(text: string | Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  const all = typeof text === 'string' ? parseExposition(text) : text;
  return all.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The single value of one series, or undefined when absent. Throws if several match. */
export function value(
  text: string | Sample[],
  name: string,
  match: Record<string, string> = {},
): number | undefined {
  const found = samples(text, name, match);
  if (found.length > 1) throw new Error(`${found.length} series of ${name} match ${JSON.stringify(match)}`);
  return found[0]?.value;
}
