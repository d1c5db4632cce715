/**
 * The kinds of value a setting takes. Each turns what the user wrote (flag or environment text, or a YAML
 * value) into the typed value or into problems, and says how --help and the docs show it.
 */
import { MAX_TIMER_MS, parseDuration } from './duration.js';
import type { PlainValue } from './yaml.js';

/** What arrives for one setting: text from a flag or the environment, or a value from the YAML file. */
export type RawValue = Exclude<PlainValue, null>;

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };

export interface Kind<T> {
  /** Shown after the flag in --help; undefined for a switch, whose flag needs no value. */
  readonly placeholder?: string;
  /** Repeating the flag adds to the list instead of replacing it. */
  readonly repeatable?: boolean;
  /** The accepted range, for --help and the docs, e.g. "100ms to 1d". */
  readonly limits?: string;
  parse(raw: RawValue): Parsed<T>;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (...problems: string[]): Parsed<never> => ({ ok: false, problems });

function isList(raw: RawValue): raw is readonly PlainValue[] {
  return Array.isArray(raw);
}

/** One value is expected: a YAML list or mapping there is a problem, not something to flatten. */
function single<T>(raw: RawValue, parse: (v: string | number | boolean) => Parsed<T>): Parsed<T> {
  if (isList(raw)) return bad('must be a single value, not a list');
  if (typeof raw === 'object') return bad('must be a single value, not a mapping');
  return parse(raw);
}

/**
 * A URL as problem messages may show it: scheme and host only. User info, path and query can hold
 * passwords and webhook tokens, and problems end up in logs.
 */
export function urlForMessage(text: string): string {
  const s = text.trim().replaceAll('\\', '/');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:)\/\/([^/?#]*)/.exec(s);
  const authority = m ? (m[2] as string) : (/^[^/?#]*/.exec(s)?.[0] ?? '');
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return m ? `${m[1]}//${host}` : host;
}

export function text(placeholder = 'TEXT'): Kind<string> {
  return { placeholder, parse: (raw) => single(raw, (v) => ok(String(v))) };
}

/** A path to a file; whether it can be read is checked by the section that uses it. */
export function file(): Kind<string> {
  return { placeholder: 'PATH', parse: (raw) => single(raw, (v) => ok(String(v))) };
}

export function bool(): Kind<boolean> {
  return {
    parse: (raw) =>
      single(raw, (v) => {
        if (typeof v === 'boolean') return ok(v);
        if (/^(true|1|yes)$/i.test(String(v))) return ok(true);
        if (/^(false|0|no)$/i.test(String(v))) return ok(false);
        return bad(`"${String(v)}" is not true or false`);
      }),
  };
}

export function oneOf<const V extends readonly string[]>(values: V): Kind<V[number]> {
  return {
    placeholder: values.join('|'),
    parse: (raw) =>
      single(raw, (v) =>
        values.includes(String(v))
          ? ok(String(v) as V[number])
          : bad(`"${String(v)}" is not one of ${values.join(', ')}`),
      ),
  };
}

function number(t: 'int' | 'float', min: number, max: number | undefined): Kind<number> {
  return {
    placeholder: 'N',
    limits: max === undefined ? `at least ${min}` : `${min} to ${max}`,
    parse: (raw) =>
      single(raw, (v) => {
        const s = String(v);
        const n = typeof v === 'number' ? v : s.trim() === '' ? NaN : Number(s);
        if (!Number.isFinite(n) || (t === 'int' && !Number.isInteger(n)))
          return bad(`"${s}" is not ${t === 'int' ? 'an integer' : 'a number'}`);
        if (n < min || (max !== undefined && n > max))
          return bad(`${n} is out of range (${min}..${max ?? '∞'})`);
        return ok(n);
      }),
  };
}

export const int = (min: number, max?: number): Kind<number> => number('int', min, max);
export const float = (min: number, max: number): Kind<number> => number('float', min, max);

/** A duration in milliseconds, between two limits written as durations; the maximum fits a timer. */
export function duration(min: string, max: string): Kind<number> {
  const minMs = parseDuration(min);
  const maxMs = parseDuration(max);
  if (minMs === undefined || maxMs === undefined || minMs > maxMs || maxMs > MAX_TIMER_MS)
    throw new Error(`duration limits ${min} to ${max} are not durations in order within ${MAX_TIMER_MS} ms`);
  return {
    placeholder: 'DURATION',
    limits: `${min} to ${max}`,
    parse: (raw) =>
      single(raw, (v) => {
        const s = String(v);
        const ms = typeof v === 'number' ? (v === 0 ? 0 : undefined) : parseDuration(s);
        if (ms === undefined) return bad(`"${s}" is not a duration (e.g. 500ms, 15s, 2m, 1h)`);
        if (ms < minMs) return bad(`${s} is below the minimum of ${min}`);
        if (ms > maxMs) return bad(`${s} is above the maximum of ${max}`);
        return ok(ms);
      }),
  };
}

export function url(): Kind<string> {
  return {
    placeholder: 'URL',
    parse: (raw) =>
      single(raw, (v) => {
        const s = String(v);
        let u: URL;
        try {
          u = new URL(s);
        } catch {
          return bad(`"${urlForMessage(s)}" is not a URL (e.g. http://connect:8083)`);
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:')
          return bad(`"${urlForMessage(s)}" must be an http:// or https:// URL`);
        if (u.username || u.password)
          return bad('must not contain credentials; use username and a password file');
        return ok(s);
      }),
  };
}

/**
 * A list: comma-separated text from a flag (repeatable) or the environment, or a YAML list. `check` gives
 * the problem with one item, if any.
 */
export function list(
  placeholder: string,
  check?: (item: string) => string | undefined,
): Kind<readonly string[]> {
  return {
    placeholder,
    repeatable: true,
    parse: (raw) => {
      if (typeof raw === 'object' && !isList(raw)) return bad('must be a list, not a mapping');
      const parts = isList(raw) ? raw : String(raw).split(',');
      if (parts.some((p) => typeof p === 'object' && p !== null))
        return bad('must be a list of single values, not of lists or mappings');
      const items = parts.map((p) => String(p ?? '').trim()).filter(Boolean);
      const problems = items.flatMap((item) => check?.(item) ?? []);
      return problems.length > 0 ? bad(...problems) : ok(items);
    },
  };
}

export const urlList = (): Kind<readonly string[]> =>
  list('URL', (item) => {
    try {
      if (/^https?:$/.test(new URL(item).protocol)) return undefined;
    } catch {
      // not a URL: the same answer as a URL of another scheme
    }
    return `"${urlForMessage(item)}" is not an http(s) URL`;
  });

export function regex(): Kind<RegExp> {
  return {
    placeholder: 'REGEX',
    parse: (raw) =>
      single(raw, (v) => {
        const s = String(v);
        try {
          return ok(new RegExp(`^(?:${s})$`));
        } catch (err) {
          return bad(`"${s}" is not a valid regular expression: ${(err as Error).message}`);
        }
      }),
  };
}

export interface ListenAddress {
  /** Absent: every interface. */
  readonly host?: string;
  readonly port: number;
}

export function listen(): Kind<ListenAddress> {
  return {
    placeholder: '[HOST]:PORT',
    parse: (raw) =>
      single(raw, (v) => {
        const s = String(v);
        const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
        const port = Number(m?.[3]);
        if (!m || port > 65535) return bad(`"${s}" is not [host]:port (e.g. :9840 or 127.0.0.1:9840)`);
        const host = m[1] ?? m[2];
        return ok(host ? { host, port } : { port });
      }),
  };
}

/**
 * A path the HTTP server serves. `taken` are the paths it serves already (ending in `/`: everything under
 * it); one of them would hide either endpoint.
 */
export function httpPath(taken: readonly string[]): Kind<string> {
  const isPrefix = (t: string): boolean => t.endsWith('/') && t !== '/';
  const clashes = (p: string): boolean => taken.some((t) => (isPrefix(t) ? p.startsWith(t) : p === t));
  const listed = taken.map((t) => (isPrefix(t) ? `${t}...` : t)).join(', ');
  return {
    placeholder: 'PATH',
    parse: (raw) =>
      single(raw, (v) => {
        const s = String(v);
        if (!s.startsWith('/')) return bad(`"${s}" must start with /`);
        if (/[?#\s]/.test(s)) return bad(`"${s}" must be a plain path, without ?, # or spaces`);
        if (clashes(s))
          return bad(
            `"${s}" is reserved for connect-sentinel's own endpoints (${listed}); choose another path, e.g. /metrics`,
          );
        return ok(s);
      }),
  };
}
