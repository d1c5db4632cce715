import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { problems } from '../../helpers/config.js';
import { TestPki } from '../web-config/certs.js';

const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca('ca');
const client = pki.leaf('client', ca, 'client');
const other = pki.leaf('other', ca, 'client');
const garbage = pki.write('garbage.pem', 'not a PEM file\n');
const encryptedKey = pki.write(
  'encrypted.key',
  createPrivateKey(readFileSync(client.key))
    .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' })
    .toString(),
);
const brokenCert = pki.write(
  'broken.crt',
  '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' + readFileSync(ca.cert, 'utf8'),
);

const SIDES = [
  { name: 'Connect REST', prefix: '--connect.tls', base: ['--connect.url=https://connect:8443'] },
  {
    name: 'Kafka',
    prefix: '--kafka.tls',
    base: ['--connect.url=https://connect:8443', '--kafka.brokers=k:9093', '--kafka.tls.enabled'],
  },
] as const;

describe.each(SIDES)('$name TLS files are checked when the configuration loads', ({ prefix, base }) => {
  test('a CA, a certificate and its key load', () => {
    const c = loadConfig({
      argv: [
        ...base,
        `${prefix}.ca-file=${ca.cert}`,
        `${prefix}.cert-file=${client.cert}`,
        `${prefix}.key-file=${client.key}`,
      ],
      env: {},
    });
    const tls = prefix === '--connect.tls' ? c.clusters[0]!.tls : c.clusters[0]!.kafka!.tls;
    expect(tls).toEqual({
      caFile: ca.cert,
      certFile: client.cert,
      keyFile: client.key,
      insecureSkipVerify: false,
    });
  });

  test('a key that is not the certificate’s names the key file', () => {
    expect(
      problems([...base, `${prefix}.cert-file=${client.cert}`, `${prefix}.key-file=${other.key}`]),
    ).toEqual([`${prefix}.key-file: ${other.key} is not the key of the certificate in ${client.cert}`]);
  });

  test('files that are not PEM name their keys', () => {
    expect(
      problems([
        ...base,
        `${prefix}.ca-file=${garbage}`,
        `${prefix}.cert-file=${client.key}`,
        `${prefix}.key-file=${client.cert}`,
      ]),
    ).toEqual([
      `${prefix}.ca-file: ${garbage} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      `${prefix}.cert-file: ${client.key} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      `${prefix}.key-file: ${client.cert} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`,
    ]);
  });

  test('a certificate block that does not parse, and an encrypted key, are named', () => {
    expect(problems([...base, `${prefix}.ca-file=${brokenCert}`])).toEqual([
      expect.stringMatching(
        new RegExp(`^${prefix}.ca-file: ${brokenCert} has a certificate \\(1 of 2\\) that cannot be parsed`),
      ),
    ]);
    expect(
      problems([...base, `${prefix}.cert-file=${client.cert}`, `${prefix}.key-file=${encryptedKey}`]),
    ).toEqual([
      `${prefix}.key-file: ${encryptedKey} holds an encrypted private key; connect-sentinel has no passphrase setting, so give it unencrypted`,
    ]);
  });

  test('a missing file, and a certificate without its key', () => {
    expect(problems([...base, `${prefix}.ca-file=/nonexistent/ca.pem`])).toEqual([
      `${prefix}.ca-file: cannot read /nonexistent/ca.pem: ENOENT`,
    ]);
    const key = prefix === '--connect.tls' ? 'tls' : 'kafka.tls';
    expect(problems([...base, `${prefix}.cert-file=${client.cert}`])).toEqual([
      `cluster "default": ${key}.certFile and ${key}.keyFile go together`,
    ]);
  });
});

test('a file in the YAML file is named by its line and key', () => {
  const file = pki.write(
    'config.yaml',
    `clusters:\n  - url: https://c:8443\n    tls:\n      caFile: ${garbage}\n`,
  );
  expect(problems(['--config.file', file])).toEqual([
    `${file}:4: clusters[0].tls.caFile: ${garbage} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
  ]);
});
