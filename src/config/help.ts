/** The --help text, made from the settings table: every flag with its variables, range and default. */
import { CONFIG_FILE_FLAG, ENV_ONLY, ENV_PREFIX, envName, SETTINGS, type DefaultValue } from './schema.js';

/** Descriptions start at this column, on the flag's line when it is short enough, else on the next. */
export const HELP_COLUMN = 40;
/** Descriptions are wrapped to end before this column. */
export const HELP_WIDTH = 110;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A head (flag or variable) and its description, which never runs into the head. */
function entry(head: string, paragraphs: readonly string[]): string[] {
  const indent = ' '.repeat(HELP_COLUMN);
  const body = paragraphs.flatMap((p) => wrap(p, HELP_WIDTH - HELP_COLUMN));
  if (head.length + 2 > HELP_COLUMN) return [head, ...body.map((l) => indent + l)];
  const [first = '', ...rest] = body;
  return [head.padEnd(HELP_COLUMN) + first, ...rest.map((l) => indent + l)];
}

function variables(names: readonly string[]): string {
  const [main, ...older] = names;
  return `Env: ${main}${older.length > 0 ? ` (or ${older.join(', ')})` : ''}.`;
}

function shownDefault(d: DefaultValue | undefined): string {
  if (d === undefined || d === '' || (Array.isArray(d) && d.length === 0)) return '';
  return ` (default: ${Array.isArray(d) ? d.join(',') : String(d)})`;
}

export function helpText(): string {
  const intro = [
    'Settings come from a YAML file (--config.file), the environment and flags: a flag wins over the environment, which wins over the file.',
    `Every flag has an environment variable: ${ENV_PREFIX} and the flag upper-cased, with "." and "-" as "_" (--poll.interval: ${envName('poll.interval')}). Older names, shown after "or", still work; the ${ENV_PREFIX} name wins when both are set. Any other ${ENV_PREFIX} variable is an error.`,
    'A flag shown without a value is a switch: on by itself, off with =false. Durations look like 500ms, 15s, 2m, 1h, 1d. Bad configuration exits with status 2, one line per problem.',
  ];
  const out = [
    'usage: connect-sentinel [flags]',
    'usage: connect-sentinel dlq list|inspect|export|replay [flags]  (a dead letter queue: dlq --help)',
    '',
  ];
  for (const p of intro) out.push(...wrap(p, HELP_WIDTH), '');
  out.push('Flags:');
  out.push(
    ...entry(`  --${CONFIG_FILE_FLAG.flag} ${CONFIG_FILE_FLAG.placeholder}`, [
      CONFIG_FILE_FLAG.help,
      variables([envName(CONFIG_FILE_FLAG.flag), ...CONFIG_FILE_FLAG.aliases]),
    ]),
  );
  for (const s of SETTINGS) {
    if (s.flag === undefined || s.env === undefined) continue;
    const value = s.kind.placeholder === undefined ? '' : ` ${s.kind.placeholder}`;
    const limits = s.kind.limits ? ` Range: ${s.kind.limits}.` : '';
    out.push(
      ...entry(`  --${s.flag}${value}`, [
        `${s.help}${limits}${shownDefault(s.default)}`,
        variables([s.env, ...s.aliases]),
      ]),
    );
  }
  out.push(...entry('  -h, --help', ['Show this text.']), ...entry('  --version', ['Show the version.']));
  out.push('', 'Environment only (no flag: a command line is visible to every user of the host):');
  for (const v of Object.values(ENV_ONLY)) {
    const older = v.aliases.length > 0 ? ` (or ${v.aliases.join(', ')})` : '';
    out.push(...entry(`  ${v.name}${older}`, [v.help]));
  }
  return `${out.join('\n')}\n`;
}
