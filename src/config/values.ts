/**
 * The values given for one scope (the sidecar's, or one cluster's), read through the settings table: a
 * key is one of the table's (checked by the compiler), the value has its kind's type, an invalid value is
 * a problem naming where it came from, and an unset one is the default.
 */
import type { RawValue } from './kinds.js';
import type { DefaultValue, SettingSpec, ValueOf } from './schema.js';

/** One value as given, with where it came from for problem messages: `file.yaml:12: poll.interval`, `--flag`, `ENV_VAR`. */
export interface Given {
  readonly raw: RawValue;
  readonly origin: string;
}

export class Values<S extends Readonly<Record<string, SettingSpec>>> {
  private readonly parsed = new Map<string, unknown>();

  constructor(
    private readonly table: S,
    private readonly given: ReadonlyMap<string, Given>,
    /** Prefix of the key where no origin is known: '' for the sidecar's settings, `clusters[0]` for a cluster's. */
    private readonly label: string,
    private readonly problems: string[],
  ) {}

  /** Whether the key was given (by the file, environment or a flag), as opposed to defaulted. */
  has(key: keyof S & string): boolean {
    return this.given.has(key);
  }

  /** Where the key's value came from; the key itself when it was not given. */
  origin(key: keyof S & string): string {
    return this.given.get(key)?.origin ?? (this.label ? `${this.label}.${key}` : key);
  }

  /** Records a problem with the key's value. */
  fail(key: keyof S & string, message: string): void {
    this.problems.push(`${this.origin(key)}: ${message}`);
  }

  /** Reads every key, so that problems with single values come in the table's order, before any others. */
  readAll(): this {
    for (const key of Object.keys(this.table)) this.get(key);
    return this;
  }

  /** The key's valid value; its default when unset or invalid (the problem is recorded once). */
  get<K extends keyof S & string>(key: K): ValueOf<S[K]> {
    if (!this.parsed.has(key)) this.parsed.set(key, this.read(key));
    return this.parsed.get(key) as ValueOf<S[K]>;
  }

  private read(key: keyof S & string): unknown {
    const spec = this.table[key] as SettingSpec;
    const given = this.given.get(key);
    if (given !== undefined) {
      const p = spec.kind.parse(given.raw);
      if (p.ok) return p.value;
      for (const problem of p.problems) this.problems.push(`${given.origin}: ${problem}`);
    }
    return spec.default === undefined ? undefined : parseDefault(key, spec.kind, spec.default);
  }
}

function parseDefault(key: string, kind: SettingSpec['kind'], value: DefaultValue): unknown {
  const p = kind.parse(value);
  if (!p.ok) throw new Error(`the default of ${key} is invalid: ${p.problems.join('; ')}`);
  return p.value;
}
