/**
 * Reading a YAML configuration file so that every problem can name its file, line and key: a document
 * with positions, "file:line" for any node, and mappings whose unknown keys are problems.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/** A key of a mapping: its text, its node (for its line) and its value (null when empty). */
export interface YamlEntry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | null;
}

/** A value made plain: scalars as YAML typed them, lists of such values, and a marker for a mapping. */
export type PlainValue = string | number | boolean | null | readonly PlainValue[] | YamlMapping;
export interface YamlMapping {
  readonly mapping: true;
}

export class YamlDocument {
  /** The parsed document's root; null when the file is empty or could not be parsed. */
  readonly root: Node | null;
  /** Syntax errors and warnings, each "file:line: invalid YAML: …"; when not empty, `root` is null. */
  readonly syntaxProblems: readonly string[];
  private readonly lines = new LineCounter();

  constructor(
    text: string,
    readonly file: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    this.syntaxProblems = [...doc.errors, ...doc.warnings].map(
      (e) => `${this.file}:${this.lines.linePos(e.pos[0]).line}: invalid YAML: ${e.message.split('\n')[0]}`,
    );
    this.root = this.syntaxProblems.length > 0 ? null : ((doc.contents as Node | null) ?? null);
  }

  /** "file:line" of a node; the file alone when the node has no position (it is absent). */
  where(node: Node | null | undefined): string {
    const offset = node?.range?.[0];
    return offset === undefined ? this.file : `${this.file}:${this.lines.linePos(offset).line}`;
  }

  /**
   * The entries of a mapping node, by key; an empty value gives none. A node that is not a mapping, and a
   * key not in `known` (when given), are problems naming `label` (the dotted path of the node; '' for the root).
   */
  entries(
    node: Node | null | undefined,
    label: string,
    problems: string[],
    known?: readonly string[],
  ): Map<string, YamlEntry> {
    const out = new Map<string, YamlEntry>();
    if (isEmpty(node)) return out;
    if (!isMap(node)) {
      problems.push(`${this.where(node)}: ${label || 'the file'} must be a mapping`);
      return out;
    }
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const full = label ? `${label}.${key}` : key;
      if (known && !known.includes(key)) {
        problems.push(`${this.where(keyNode)}: unknown key "${full}" (known here: ${known.join(', ')})`);
        continue;
      }
      out.set(key, { key, keyNode, value: (pair.value as Node | null) ?? null });
    }
    return out;
  }
}

/** True for an absent node or an empty value (`key:` or `key: null`). */
export function isEmpty(node: Node | null | undefined): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/** The node's value without positions; nested mappings become a marker so a caller can say what is wrong. */
export function plainValue(node: Node | null | undefined): PlainValue {
  if (isEmpty(node)) return null;
  if (isScalar(node)) {
    const v = node.value;
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : String(v);
  }
  if (isSeq(node)) return node.items.map((item) => plainValue(item as Node | null));
  return { mapping: true };
}
