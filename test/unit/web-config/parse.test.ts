import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebConfigError } from '../../../src/http/web-config-error.js';
import { parseWebConfig } from '../../../src/http/web-config-parse.js';
import { loadWebConfig } from '../../../src/http/web-config.js';
import { TestPki, type Pem } from './certs.js';

const HASH = bcrypt.hashSync('s3cret', 4);
const read = (p: string): Buffer => fs.readFileSync(p);

let pki: TestPki;
let ca: Pem;
let server: Pem;
let other: Pem;

beforeAll(() => {
  pki = new TestPki();
  ca = pki.ca('ca');
  server = pki.leaf('server', ca, 'server');
  other = pki.leaf('other', pki.ca('other-ca'), 'server');
});
afterAll(() => pki.cleanup());

function problems(text: string): string[] {
  try {
    parseWebConfig(text, path.join(pki.dir, 'web.yml'), read);
  } catch (err) {
    expect(err).toBeInstanceOf(WebConfigError);
    return [...(err as WebConfigError).problems];
  }
  throw new Error('expected the web config to be refused');
}

describe('a valid web config', () => {
  test('an empty file means plain HTTP without auth', () => {
    const c = parseWebConfig('', 'web.yml', read);
    expect(c.tls).toBeUndefined();
    expect(c.users.size).toBe(0);
  });

  test('parsing reads the files the config names only through the reader it is given', () => {
    const files = new Map([
      ['/etc/sentinel/tls.crt', pki.read(server.cert)],
      ['/etc/sentinel/tls.key', pki.read(server.key)],
    ]);
    const asked: string[] = [];
    const c = parseWebConfig(
      'tls_server_config:\n  cert_file: tls.crt\n  key_file: /etc/sentinel/tls.key\n',
      '/etc/sentinel/web.yml',
      (p) => {
        asked.push(p);
        const b = files.get(p);
        if (!b) throw Object.assign(new Error('absent'), { code: 'ENOENT' });
        return b;
      },
    );
    expect(asked).toEqual(['/etc/sentinel/tls.crt', '/etc/sentinel/tls.key']);
    expect(c.tls?.context.cert).toEqual(pki.read(server.cert));
  });

  test('the exporter-toolkit keys become TLS options, users, headers and a rate limit', () => {
    const c = parseWebConfig(
      [
        'tls_server_config:',
        '  cert_file: server.crt', // relative to the file's directory
        `  key_file: ${server.key}`,
        `  client_ca_file: ${ca.cert}`,
        '  client_auth_type: RequireAndVerifyClientCert',
        '  min_version: TLS13',
        '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]',
        '  curve_preferences: [CurveP256, X25519]',
        'http_server_config:',
        '  http2: false',
        '  headers:',
        '    X-Frame-Options: deny',
        '    Strict-Transport-Security: max-age=31536000',
        'basic_auth_users:',
        `  alice: ${HASH.replace('$2b$', '$2y$')}`,
        'rate_limit:',
        '  interval: 1s',
        '  burst: 5',
      ].join('\n'),
      path.join(pki.dir, 'web.yml'),
      read,
    );
    expect(c.tls?.clientAuth).toBe('RequireAndVerifyClientCert');
    expect(c.tls?.context).toMatchObject({
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ecdhCurve: 'P-256:X25519',
      cert: pki.read(server.cert),
      ca: pki.read(ca.cert),
    });
    expect(c.tls?.context.ciphers).toContain('ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(c.tls?.context.ciphers).toContain('TLS_AES_128_GCM_SHA256'); // TLS 1.3 stays on
    expect(c.files).toEqual([server.cert, server.key, ca.cert]);
    expect([...c.users.keys()]).toEqual(['alice']);
    expect(c.headers).toEqual({ 'X-Frame-Options': 'deny', 'Strict-Transport-Security': 'max-age=31536000' });
    expect(c.rateLimit).toEqual({ intervalMs: 1000, burst: 5 });
  });
});

describe('a bad web config is refused with every problem named', () => {
  test('unknown keys name the key, its line and the known ones', () => {
    const p = problems(
      [
        'tls_server_config:',
        `  cert_file: ${server.cert}`,
        `  key_file: ${server.key}`,
        '  certfile: x',
        'basic_auth:',
        '  a: b',
      ].join('\n'),
    );
    expect(p).toContainEqual(
      expect.stringMatching(
        /web\.yml:4: unknown key "tls_server_config\.certfile" \(known here: .*cert_file/,
      ),
    );
    expect(p).toContainEqual(
      expect.stringMatching(/web\.yml:5: unknown key "basic_auth" \(known here: .*basic_auth_users/),
    );
  });

  test('a password that is not a bcrypt hash', () => {
    expect(problems('basic_auth_users:\n  alice: plaintext\n')).toEqual([
      expect.stringMatching(
        /web\.yml:2: basic_auth_users\.alice: not a bcrypt hash \(make one with: htpasswd -nBC 10/,
      ),
    ]);
  });

  test('missing certificate files name the key and the path', () => {
    const p = problems(`tls_server_config:\n  cert_file: nope.crt\n  key_file: ${server.key}\n`);
    expect(p).toEqual([
      expect.stringMatching(
        new RegExp(`tls_server_config\\.cert_file: cannot read ${pki.dir}/nope\\.crt: ENOENT`),
      ),
    ]);
  });

  test('a key that does not belong to the certificate', () => {
    const p = problems(`tls_server_config:\n  cert_file: ${server.cert}\n  key_file: ${other.key}\n`);
    expect(p).toEqual([
      expect.stringMatching(
        /tls_server_config: the certificate, key and client CA cannot be used: .*key values mismatch/,
      ),
    ]);
  });

  test('client certificate settings that contradict each other', () => {
    const base = `tls_server_config:\n  cert_file: ${server.cert}\n  key_file: ${server.key}\n`;
    expect(problems(`${base}  client_auth_type: RequireAndVerifyClientCert\n`)).toEqual([
      expect.stringContaining('client_auth_type RequireAndVerifyClientCert needs client_ca_file'),
    ]);
    expect(problems(`${base}  client_ca_file: ${ca.cert}\n`)).toEqual([
      expect.stringContaining('a client CA is set but client_auth_type is NoClientCert'),
    ]);
    expect(problems(`${base}  client_auth_type: RequireClientCert\n`)).toEqual([
      expect.stringMatching(
        /web\.yml:4: tls_server_config\.client_auth_type "RequireClientCert" is not one of NoClientCert, .*RequireAndVerifyClientCert/,
      ),
    ]);
    expect(problems(`${base}  min_version: TLS13\n  max_version: TLS12\n`)).toEqual([
      expect.stringContaining('min_version TLS13 is above max_version TLS12'),
    ]);
    expect(problems(`${base}  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n`)).toEqual([
      expect.stringContaining('unknown suite "TLS_RSA_WITH_RC4_128_SHA"'),
    ]);
  });

  test('TLS without a certificate, both inline and file, and headers that are not allowed', () => {
    expect(problems('tls_server_config:\n  min_version: TLS12\n')).toEqual([
      expect.stringContaining('tls_server_config needs cert_file (or cert) and key_file (or key)'),
    ]);
    expect(
      problems(`tls_server_config:\n  cert: x\n  cert_file: ${server.cert}\n  key_file: ${server.key}\n`),
    ).toContainEqual(expect.stringContaining('set cert or cert_file, not both'));
    const p = problems('http_server_config:\n  headers:\n    X-Frame-Options: allow\n    Server: x\n');
    expect(p).toContainEqual(
      expect.stringContaining('http_server_config.headers.X-Frame-Options: "allow" is not accepted'),
    );
    expect(p).toContainEqual(expect.stringContaining('unknown key "http_server_config.headers.Server"'));
  });

  test('a rate limit without a burst, and YAML that does not parse', () => {
    expect(problems('rate_limit:\n  interval: 1s\n')).toEqual([
      expect.stringContaining('rate_limit.burst must be at least 1'),
    ]);
    expect(problems('rate_limit:\n  interval: soon\n  burst: 1\n')).toEqual([
      expect.stringContaining('rate_limit.interval "soon" is not a duration'),
    ]);
    expect(problems('basic_auth_users: [a\n')[0]).toMatch(/web\.yml:\d+: /);
  });

  test('a file that cannot be read', () => {
    expect(() => loadWebConfig(path.join(pki.dir, 'absent.yml'))).toThrow(
      /web\.config\.file: cannot read .*absent\.yml: ENOENT/,
    );
    expect(fs.existsSync(path.join(pki.dir, 'absent.yml'))).toBe(false);
  });
});
