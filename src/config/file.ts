/**
 * The YAML configuration file: its keys are the table's (global at the root, cluster settings in each
 * `clusters[]` entry); an unknown key is a problem naming the key, its line and the keys known there.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Given } from './values.js';
import { CLUSTER_SETTINGS, GLOBAL_SETTINGS } from './schema.js';
import { isEmpty, plainValue, YamlDocument } from './yaml.js';

export interface FileValues {
  readonly global: Map<string, Given>;
  readonly clusters: Map<string, Given>[];
}

export type FileResult =
  /** The file could not be read or parsed: these problems are all there is to say. */
  | { readonly ok: false; readonly problems: readonly string[] }
  | { readonly ok: true; readonly values: FileValues; readonly problems: readonly string[] };

const GLOBAL_KEYS = Object.keys(GLOBAL_SETTINGS);
const CLUSTER_KEYS = Object.keys(CLUSTER_SETTINGS);

/** The names one level below `prefix` ('' for the top), sorted: what may be written there. */
function childrenOf(keys: readonly string[], prefix: string): string[] {
  const below = prefix ? keys.filter((k) => k.startsWith(`${prefix}.`)) : keys;
  return [
    ...new Set(below.map((k) => k.slice(prefix ? prefix.length + 1 : 0).split('.')[0] as string)),
  ].sort();
}

/**
 * Reads the file named by `origin` (`--config.file` or its variable). `read` throws when the file cannot
 * be read.
 */
export function readConfigFile(path: string, origin: string, read: (path: string) => string): FileResult {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    return { ok: false, problems: [`${origin}: cannot read ${path}: ${(err as Error).message}`] };
  }
  const doc = new YamlDocument(text, path);
  if (doc.syntaxProblems.length > 0) return { ok: false, problems: doc.syntaxProblems };
  const values: FileValues = { global: new Map(), clusters: [] };
  if (isEmpty(doc.root)) return { ok: true, values, problems: [] };
  if (!isMap(doc.root)) {
    return {
      ok: false,
      problems: [`${doc.where(doc.root)}: the file must be a mapping of keys (poll:, clusters:, ...)`],
    };
  }
  const problems: string[] = [];

  /** Stores the leaves under `node` whose keys are in `keys`; `label` names `prefix` in messages. */
  const walk = (
    node: Node | null,
    keys: readonly string[],
    prefix: string,
    label: string,
    into: Map<string, Given>,
    extra: readonly string[] = [],
  ): void => {
    const known = [...childrenOf(keys, prefix), ...extra].sort();
    for (const entry of doc.entries(node, label, problems, known).values()) {
      const full = prefix ? `${prefix}.${entry.key}` : entry.key;
      const shown = label ? `${label}.${entry.key}` : entry.key;
      if (extra.includes(entry.key)) continue;
      if (keys.includes(full)) {
        if (!isEmpty(entry.value))
          into.set(full, {
            raw: plainValue(entry.value) as NonNullable<Given['raw']>,
            origin: `${doc.where(entry.value)}: ${shown}`,
          });
      } else {
        walk(entry.value, keys, full, shown, into);
      }
    }
  };
  walk(doc.root, GLOBAL_KEYS, '', '', values.global, ['clusters']);
  const clusters = doc.root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'clusters')
    ?.value as Node | null | undefined;
  if (!isEmpty(clusters)) {
    if (!isSeq(clusters)) problems.push(`${doc.where(clusters)}: clusters must be a list of clusters`);
    else
      clusters.items.forEach((item, i) => {
        const m = new Map<string, Given>();
        values.clusters.push(m);
        walk(item as Node | null, CLUSTER_KEYS, '', `clusters[${i}]`, m);
      });
  }
  // In the order of the file's lines, as a reader goes through it.
  const line = (p: string): number => Number(p.slice(path.length + 1).split(':')[0]) || 0;
  return { ok: true, values, problems: problems.sort((a, b) => line(a) - line(b)) };
}
