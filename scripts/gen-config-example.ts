/**
 * Writes config.example.yaml (every key with its default, flag and variables) and docs/config.md (the
 * reference of every setting) from the settings table. `npx tsx scripts/gen-config-example.ts`
 * regenerates both; a unit test checks they are current.
 */
import { writeFileSync } from 'node:fs';
import {
  CONFIG_FILE_FLAG,
  ENV_ONLY,
  ENV_PREFIX,
  envName,
  SETTINGS,
  type Setting,
} from '../src/config/schema.js';

const isSwitch = (s: Setting): boolean => s.kind.placeholder === undefined;

function yamlValue(s: Setting): string {
  const d = s.default;
  if (s.key === 'url') return 'http://127.0.0.1:8083';
  if (d === undefined) return isSwitch(s) ? 'false' : '""';
  if (Array.isArray(d)) return d.length === 0 ? '[]' : `[${d.join(', ')}]`;
  if (typeof d === 'string')
    return d === '' || /[:#{}[\],&*?|<>=!%@`'"]/.test(d) || d.startsWith(' ') ? JSON.stringify(d) : d;
  return String(d);
}

function variables(s: Setting): string {
  return s.env === undefined ? '' : [s.env, ...s.aliases].join(' or ');
}

function comments(s: Setting): string[] {
  const where = [
    s.flag ? `--${s.flag}` : '',
    variables(s) ? `$${variables(s).replaceAll(' or ', ' or $')}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return [`${s.help}${s.kind.limits ? ` Range: ${s.kind.limits}.` : ''}`, ...(where ? [where] : [])];
}

/** Emits settings as nested YAML, each leaf preceded by its comments. */
function emit(
  settings: readonly Setting[],
  indent: string,
  out: string[],
  commented: (s: Setting) => boolean,
): void {
  const groups = new Map<string, Setting[]>();
  for (const s of settings) {
    const [head] = s.key.split('.') as [string];
    groups.set(head, [...(groups.get(head) ?? []), s]);
  }
  for (const [head, members] of groups) {
    const leaf = members.find((m) => m.key === head);
    if (leaf) {
      out.push(...comments(leaf).map((c) => `${indent}# ${c}`));
      const line = `${indent}${head}: ${yamlValue(leaf)}`;
      out.push(commented(leaf) ? line.replace(/^(\s*)/, '$1# ') : line);
      continue;
    }
    out.push(`${indent}${head}:`);
    emit(
      members.map((m) => ({ ...m, key: m.key.slice(head.length + 1) })),
      `${indent}  `,
      out,
      commented,
    );
  }
}

export function configExample(): string {
  const out = [
    '# connect-sentinel configuration: every key with its default.',
    '# Precedence: this file < environment < flags. Unknown keys are errors.',
    '# Keys whose default is "unset" are commented out; durations look like 500ms, 15s, 2m, 1h.',
    '# Generated from src/config/schema.ts by scripts/gen-config-example.ts; reference: docs/config.md.',
    '',
    '# One entry per Connect cluster. The flags --connect.* and --kafka.* (and their environment',
    '# variables) define or override the cluster named by --connect.name.',
    'clusters:',
    '  - # name and url are required; the url below is an example.',
  ];
  emit(
    SETTINGS.filter((s) => s.scope === 'cluster'),
    '    ',
    out,
    (s) => s.default === undefined && s.key !== 'url',
  );
  out.push('');
  emit(
    SETTINGS.filter((s) => s.scope === 'global'),
    '',
    out,
    (s) => s.default === undefined,
  );
  return `${out.join('\n')}\n`;
}

const cell = (text: string): string => text.replaceAll('|', '\\|');
const code = (text: string): string => (text ? `\`${cell(text)}\`` : '');

function table(settings: readonly Setting[]): string[] {
  const shown = (d: Setting['default']): string =>
    d === undefined ? '' : Array.isArray(d) ? (d.length === 0 ? '(none)' : d.join(',')) : String(d);
  return [
    '| Key | Flag | Environment | Value | Default | Description |',
    '| --- | --- | --- | --- | --- | --- |',
    ...settings
      .map((s) =>
        [
          code(s.key),
          code(s.flag ? `--${s.flag}` : ''),
          s.env ? [s.env, ...s.aliases].map(code).join(', ') : '',
          isSwitch(s) ? 'true/false' : code(s.kind.placeholder ?? ''),
          code(shown(s.default)),
          cell(`${s.help}${s.kind.limits ? ` Range: ${s.kind.limits}.` : ''}`),
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
  ];
}

export function configReference(): string {
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by scripts/gen-config-example.ts; do not edit. -->',
    '',
    'Every setting can be given in the YAML file (`--config.file`), most also as a flag and an environment',
    'variable. A flag wins over the environment, which wins over the file. Unknown keys, flags and',
    `\`${ENV_PREFIX}\` variables are errors; bad configuration exits with status 2, one line per problem,`,
    'each naming the key and where it came from (file and line, flag, or variable).',
    '',
    `**Environment variables.** Every flag has one: \`${ENV_PREFIX}\` and the flag upper-cased, with \`.\` and`,
    `\`-\` as \`_\` (\`--poll.interval\` → \`${envName('poll.interval')}\`, \`--connect.tls.ca-file\` →`,
    `\`${envName('connect.tls.ca-file')}\`). The older names in the table still work; when both are set, the`,
    `\`${ENV_PREFIX}\` one wins. The configuration file itself: \`--${CONFIG_FILE_FLAG.flag}\` or`,
    `\`${envName(CONFIG_FILE_FLAG.flag)}\` (or \`${CONFIG_FILE_FLAG.aliases.join('`, `')}\`).`,
    '',
    '**Values.** Durations look like `500ms`, `15s`, `2m`, `1h30m`, `1d`; each has a range (no duration',
    "exceeds Node's timer limit of 2³¹−1 ms). Switches take `true`/`false` (`--flag` alone is true). Lists",
    'are comma separated in flags and variables (list flags can also be repeated) and YAML lists in the file.',
    'URLs in problem messages are shown as scheme and host only, so passwords and tokens stay out of logs.',
    '',
    '## Cluster settings',
    '',
    'Keys of each `clusters[]` entry. The flags and variables define, or override, the cluster named by',
    '`--connect.name` (with one cluster in the file: that one).',
    '',
    ...table(SETTINGS.filter((s) => s.scope === 'cluster')),
    '',
    '## Sidecar settings',
    '',
    'Top-level keys of the file.',
    '',
    ...table(SETTINGS.filter((s) => s.scope === 'global')),
    '',
    '## Environment only',
    '',
    'These have no flag: a command line is visible to every user of the host.',
    '',
    '| Variable | Description |',
    '| --- | --- |',
    ...Object.values(ENV_ONLY).map(
      (v) => `| ${[v.name, ...v.aliases].map(code).join(', ')} | ${cell(v.help)} |`,
    ),
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  writeFileSync(new URL('../config.example.yaml', import.meta.url), configExample());
  writeFileSync(new URL('../docs/config.md', import.meta.url), configReference());
}
