import { expect, test } from 'vitest';
import type { Node } from 'yaml';
import { plainValue, YamlDocument } from '../../../src/config/yaml.js';

const TEXT = 'a: 1\nb:\n  c: [x, 2, true]\n  d:\n  e: {f: 1}\nbad: 2\n';

test('"file:line" of any node, and plain values', () => {
  const doc = new YamlDocument(TEXT, 'w.yml');
  expect(doc.syntaxProblems).toEqual([]);
  const top = doc.entries(doc.root, '', []);
  expect([...top.keys()]).toEqual(['a', 'b', 'bad']);
  expect(doc.where(top.get('bad')!.keyNode)).toBe('w.yml:6');
  const b = doc.entries(top.get('b')!.value, 'b', []);
  expect(doc.where(b.get('c')!.value)).toBe('w.yml:3');
  expect(plainValue(b.get('c')!.value)).toEqual(['x', 2, true]);
  expect(plainValue(b.get('d')!.value)).toBeNull();
  expect(plainValue(b.get('e')!.value)).toEqual({ mapping: true });
  expect(doc.where(undefined)).toBe('w.yml');
});

test('strict keys: an unknown key is a problem with its line, its path and the keys known there', () => {
  const doc = new YamlDocument(TEXT, 'w.yml');
  const problems: string[] = [];
  const top = doc.entries(doc.root, '', problems, ['a', 'b']);
  doc.entries(top.get('b')!.value, 'b', problems, ['c', 'd', 'e', 'g']);
  doc.entries(top.get('a')!.value as Node, 'a', problems);
  expect([...top.keys()]).toEqual(['a', 'b']);
  expect(problems).toEqual(['w.yml:6: unknown key "bad" (known here: a, b)', 'w.yml:1: a must be a mapping']);
});

test('syntax errors and duplicate keys: one problem each with its line, and no document', () => {
  const doc = new YamlDocument('a: 1\nb: [\n', 'x.yml');
  expect(doc.root).toBeNull();
  expect(doc.syntaxProblems).toEqual([expect.stringMatching(/^x\.yml:\d+: invalid YAML: /)]);
  const dup = new YamlDocument('a: 1\na: 2\n', 'd.yml');
  expect(dup.syntaxProblems).toEqual([
    expect.stringMatching(/^d\.yml:\d: invalid YAML: Map keys must be unique/),
  ]);
});
