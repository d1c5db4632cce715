/**
 * Writes config.example.yaml from the settings table: every key, its default, its flag and env.
 * `npx tsx scripts/gen-config-example.ts` regenerates it; a unit test checks it is current.
 */
import { writeFileSync } from 'node:fs';
import { SETTINGS, type Setting } from '../src/config/schema.js';

function yamlValue(s: Setting): string {
  const d = s.default;
  if (s.key === 'url') return 'http://127.0.0.1:8083';
  if (d === undefined) return s.kind.t === 'bool' ? 'false' : '""';
  if (Array.isArray(d)) return d.length === 0 ? '[]' : `[${d.join(', ')}]`;
  if (typeof d === 'string')
    return d === '' || /[:#{}[\],&*?|<>=!%@`'"]/.test(d) || d.startsWith(' ') ? JSON.stringify(d) : d;
  return String(d);
}

function comment(s: Setting): string {
  const where = [s.flag ? `--${s.flag}` : '', s.env ? `$${s.env}` : ''].filter(Boolean).join(', ');
  return `${s.help}${where ? ` (${where})` : ''}`;
}

/** Emits settings as nested YAML, each leaf preceded by its comment. */
function emit(
  settings: readonly Setting[],
  indent: string,
  out: string[],
  commented: (s: Setting) => boolean,
): void {
  const groups = new Map<string, Setting[]>();
  const order: string[] = [];
  for (const s of settings) {
    const [head] = s.key.split('.') as [string];
    if (!groups.has(head)) {
      groups.set(head, []);
      order.push(head);
    }
    groups.get(head)!.push(s);
  }
  for (const head of order) {
    const members = groups.get(head)!;
    const leaf = members.find((m) => m.key === head);
    if (leaf) {
      out.push(`${indent}# ${comment(leaf)}`);
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
    '# Generated from src/config/schema.ts by scripts/gen-config-example.ts.',
    '',
    '# One entry per Connect cluster. The flags --connect.* and --kafka.* (and their environment',
    '# variables) define or override the cluster named by --connect.name.',
    'clusters:',
    '  - # name and url are required; the url below is an example.',
  ];
  const cluster: string[] = [];
  emit(
    SETTINGS.filter((s) => s.scope === 'cluster'),
    '    ',
    cluster,
    (s) => s.default === undefined && s.key !== 'url',
  );
  out.push(...cluster, '');
  emit(
    SETTINGS.filter((s) => s.scope === 'global'),
    '',
    out,
    (s) => s.default === undefined,
  );
  return `${out.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  writeFileSync(new URL('../config.example.yaml', import.meta.url), configExample());
}
