import { expect, test } from 'vitest';
import { HELP_COLUMN, HELP_WIDTH, helpText } from '../../../src/config/help.js';
import { parseArgs } from '../../../src/config/load.js';
import { SETTINGS } from '../../../src/config/schema.js';

const help = helpText();
const lines = help.split('\n');

test('-h, --h and --help print the help, wherever they are', () => {
  for (const argv of [['-h'], ['--h'], ['--help'], ['--connect.url=http://c:1', '-h'], ['--bogus', '-h']])
    expect(parseArgs({ argv, env: {} }), argv.join(' ')).toEqual({ kind: 'help', text: help });
});

/** A flag with its value, or an environment variable with its older names. */
const HEAD = /^ {2}(?:(?:-h, )?--[a-z.-]+(?: \S+)?|CONNECT_SENTINEL_[A-Z_]+(?: \(or [A-Z_, ]+\))?)$/;

test('no help line runs into its flag: the text starts at its column, or on the next line', () => {
  const heads = lines.filter((l) => /^ {2}(-|CONNECT_SENTINEL_)/.test(l));
  expect(heads.length).toBeGreaterThan(SETTINGS.length / 2);
  for (const line of heads) {
    if (HEAD.test(line)) continue; // the text is on the next line
    const head = line.slice(0, HELP_COLUMN);
    expect(head.trimEnd(), line).toMatch(HEAD);
    expect(head.endsWith('  '), line).toBe(true);
    expect(line[HELP_COLUMN], line).not.toBe(' ');
  }
  // Every other line of an entry is indented to the column.
  for (const line of lines.filter((l) => l.startsWith('   ')))
    expect(/^ +/.exec(line)?.[0].length, line).toBe(HELP_COLUMN);
});

test('a long value list puts the text on the next line instead of joining it', () => {
  const at = lines.indexOf('  --kafka.sasl.mechanism none|plain|scram-sha-256|scram-sha-512');
  expect(at).toBeGreaterThan(0);
  expect(lines[at + 1]).toBe(`${' '.repeat(HELP_COLUMN)}SASL mechanism. (default: none)`);
  expect(help).not.toMatch(/scram-sha-512\S/);
  expect(help).not.toMatch(/silent\S/);
});

test('lines are wrapped to the width (a flag with a long value list is the only exception)', () => {
  for (const line of lines) if (line.length > HELP_WIDTH) expect(line, line).toMatch(/^ {2}--\S+ \S+$/);
});

test('every flag is in the help with its value, range and default', () => {
  for (const s of SETTINGS) {
    if (s.flag === undefined) continue;
    const head = `  --${s.flag}${s.kind.placeholder ? ` ${s.kind.placeholder}` : ''}`;
    expect(
      lines.some((l) => l === head || l.startsWith(`${head}  `)),
      head,
    ).toBe(true);
  }
  expect(help.replace(/\s+/g, ' ')).toContain(
    'Time between polls of each cluster. Range: 100ms to 1d. (default: 15s)',
  );
});
