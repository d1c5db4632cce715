/** The command line: flags of settings (by the table), --config.file, -h/--help and --version. */
import type { Given } from './values.js';
import { CONFIG_FILE_FLAG, SETTINGS, type Setting } from './schema.js';

export type Argv =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'flags'; readonly settings: Map<Setting, Given>; readonly configFile?: Given };

const BY_FLAG = new Map(SETTINGS.flatMap((s) => (s.flag !== undefined ? [[s.flag, s] as const] : [])));

/** Reads the arguments; problems (unknown flags, missing values) are added to `problems`. */
export function readArgv(argv: readonly string[], problems: string[]): Argv {
  const settings = new Map<Setting, Given>();
  let configFile: Given | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h') return { kind: 'help' };
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument "${arg}" (flags start with --)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === 'help' || name === 'h') return { kind: 'help' };
    if (name === 'version') return { kind: 'version' };
    const setting = BY_FLAG.get(name);
    if (!setting && name !== CONFIG_FILE_FLAG.flag) {
      problems.push(`--${name}: unknown flag (see --help)`);
      // Its value, if any, is not a stray argument of its own.
      if (eq < 0 && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('-')) i++;
      continue;
    }
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined) {
      const next = argv[i + 1];
      const isSwitch = setting !== undefined && setting.kind.placeholder === undefined;
      if (isSwitch && (next === undefined || !/^(true|false)$/i.test(next))) value = 'true';
      else if (next === undefined) {
        problems.push(`--${name}: needs a value`);
        continue;
      } else {
        value = next;
        i++;
      }
    }
    const given = { raw: value, origin: `--${name}` };
    if (!setting) {
      configFile = given;
      continue;
    }
    const prior = settings.get(setting);
    if (setting.kind.repeatable && prior)
      settings.set(setting, { ...given, raw: `${String(prior.raw)},${value}` });
    else settings.set(setting, given);
  }
  return { kind: 'flags', settings, ...(configFile ? { configFile } : {}) };
}
