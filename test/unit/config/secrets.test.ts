import { expect, test } from 'vitest';
import { urlForMessage } from '../../../src/config/kinds.js';
import { problems, yamlFile } from '../../helpers/config.js';

const SECRETS = ['admin', 'PASSWORD', 'T000', 'SECRET', 'token', 'sig'];

function leaks(lines: readonly string[]): string[] {
  return lines.filter((l) => SECRETS.some((s) => l.includes(s)));
}

test('an invalid URL is shown as scheme and host only', () => {
  const p = problems([
    '--connect.url=http://admin:PASSWORD@host:99999/path?token=1',
    '--notify.webhook-url=https://hooks.example.com:99999/services/T000/SECRET',
    '--notify.webhook-url=hooks.example.com/services/T000/SECRET?sig=1',
    '--notify.webhook-url=ftp://admin:PASSWORD@files/SECRET',
  ]);
  expect(p).toEqual([
    '--notify.webhook-url: "https://hooks.example.com:99999" is not an http(s) URL',
    '--notify.webhook-url: "hooks.example.com" is not an http(s) URL',
    '--notify.webhook-url: "ftp://files" is not an http(s) URL',
    '--connect.url: "http://host:99999" is not a URL (e.g. http://connect:8083)',
  ]);
  expect(leaks(p)).toEqual([]);
});

test('no problem message shows a URL’s user info, path or query, whatever the source', () => {
  const file = yamlFile(
    'clusters:\n  - url: gopher://admin:PASSWORD@c/SECRET?token=1\nnotify:\n  webhookUrls: ["http://admin:PASSWORD@h:1:2/SECRET"]\n',
  );
  const p = [
    ...problems(['--config.file', file]),
    ...problems(['--connect.url=http://admin:PASSWORD@c:8083/x?token=1']),
    ...problems([], { CONNECT_SENTINEL_CONNECT_URL: 'admin:PASSWORD@c:8083/SECRET' }),
  ];
  expect(p.length).toBeGreaterThanOrEqual(4);
  expect(leaks(p)).toEqual([]);
});

test.each([
  ['http://u:p@host:1/a?b#c', 'http://host:1'],
  ['https://host', 'https://host'],
  ['u:p@host:1/a', 'host:1'],
  ['not a url', 'not a url'],
  ['http:\\\\u:p@host\\SECRET', 'http://host'],
  ['mailto:someone@example.com', 'example.com'],
])('urlForMessage(%s) is %s', (input, shown) => {
  expect(urlForMessage(input)).toBe(shown);
});
