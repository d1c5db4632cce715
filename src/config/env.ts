/**
 * The environment. Every flag has the variable envName(flag) (CONNECT_SENTINEL_ + the flag upper-cased,
 * `.` and `-` as `_`); the older short names are aliases. A CONNECT_SENTINEL_ variable that is none of these
 * is a problem: it is a misspelt setting that would otherwise be ignored without a word.
 */
import type { Given } from './values.js';
import { CONFIG_FILE_FLAG, ENV_ONLY, ENV_PREFIX, envName, SETTINGS, type Setting } from './schema.js';

export interface EnvValues {
  readonly settings: Map<Setting, Given>;
  readonly configFile?: Given;
  readonly connectPassword?: Given;
  readonly saslPassword?: Given;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** The value of the first of `names` that is set (empty counts as unset), named by the variable it came from. */
function first(env: Environment, names: readonly string[]): Given | undefined {
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v !== '') return { raw: v, origin: name };
  }
  return undefined;
}

/** Every variable connect-sentinel reads, the CONNECT_SENTINEL_ name first. */
export const ENV_NAMES: readonly (readonly string[])[] = [
  ...SETTINGS.flatMap((s) => (s.env !== undefined ? [[s.env, ...s.aliases]] : [])),
  [envName(CONFIG_FILE_FLAG.flag), ...CONFIG_FILE_FLAG.aliases],
  ...Object.values(ENV_ONLY).map((v) => [v.name, ...v.aliases]),
];

const KNOWN = new Set(ENV_NAMES.flat());

export function readEnvironment(env: Environment, problems: string[]): EnvValues {
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith(ENV_PREFIX) && !KNOWN.has(name))
      problems.push(
        `${name}: unknown environment variable (the ${ENV_PREFIX} variables are named after the flags: see --help)`,
      );
  }
  const settings = new Map<Setting, Given>();
  for (const s of SETTINGS) {
    const given = s.env !== undefined ? first(env, [s.env, ...s.aliases]) : undefined;
    if (given) settings.set(s, given);
  }
  const configFile = first(env, [envName(CONFIG_FILE_FLAG.flag), ...CONFIG_FILE_FLAG.aliases]);
  const connectPassword = first(env, [ENV_ONLY.connectPassword.name, ...ENV_ONLY.connectPassword.aliases]);
  const saslPassword = first(env, [ENV_ONLY.saslPassword.name, ...ENV_ONLY.saslPassword.aliases]);
  return {
    settings,
    ...(configFile ? { configFile } : {}),
    ...(connectPassword ? { connectPassword } : {}),
    ...(saslPassword ? { saslPassword } : {}),
  };
}
