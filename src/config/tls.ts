/**
 * TLS client files checked when the configuration loads: a CA bundle or certificate that is not PEM, a key
 * that cannot be used, or a key that is not the certificate's, is a start-up problem naming the key, rather
 * than a handshake error at the first poll.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';

/** A file setting that was given: its path and where it came from (for problem messages). */
export interface GivenFile {
  readonly path: string;
  readonly origin: string;
}

/** The files of one TLS client; undefined: not given. */
export interface TlsFileSet {
  readonly caFile: GivenFile | undefined;
  readonly certFile: GivenFile | undefined;
  readonly keyFile: GivenFile | undefined;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----/;

function reason(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** Problems with the PEM certificates of a file (a CA bundle or a client certificate with its chain). */
function certificateProblems(text: string): string[] {
  const blocks = text.match(CERTIFICATE) ?? [];
  if (blocks.length === 0) return ['holds no PEM certificate (-----BEGIN CERTIFICATE-----)'];
  return blocks.flatMap((pem, i) => {
    try {
      new X509Certificate(pem);
      return [];
    } catch (err) {
      return [`has a certificate (${i + 1} of ${blocks.length}) that cannot be parsed: ${reason(err)}`];
    }
  });
}

function keyProblems(text: string): string[] {
  const m = PRIVATE_KEY.exec(text);
  if (!m) return ['holds no PEM private key (-----BEGIN PRIVATE KEY-----)'];
  if (m[1] === 'ENCRYPTED ' || /Proc-Type: *4,ENCRYPTED/.test(text))
    return [
      'holds an encrypted private key; connect-sentinel has no passphrase setting, so give it unencrypted',
    ];
  try {
    createPrivateKey(text);
    return [];
  } catch (err) {
    return [`holds a private key that cannot be parsed: ${reason(err)}`];
  }
}

/** Reads and checks the files; each problem starts with the origin of the file it is about. */
export function tlsFileProblems(files: TlsFileSet, read: (path: string) => string): string[] {
  const problems: string[] = [];
  const texts = new Map<GivenFile, string>();
  const check = (f: GivenFile | undefined, what: (text: string) => string[]): void => {
    if (f === undefined) return;
    let content: string;
    try {
      content = read(f.path);
    } catch (err) {
      problems.push(`${f.origin}: cannot read ${f.path}: ${reason(err)}`);
      return;
    }
    const found = what(content);
    if (found.length === 0) texts.set(f, content);
    for (const p of found) problems.push(`${f.origin}: ${f.path} ${p}`);
  };
  check(files.caFile, certificateProblems);
  check(files.certFile, certificateProblems);
  check(files.keyFile, keyProblems);
  const cert = files.certFile && texts.get(files.certFile);
  const key = files.keyFile && texts.get(files.keyFile);
  if (files.keyFile && cert !== undefined && key !== undefined) {
    try {
      createSecureContext({ cert, key });
    } catch (err) {
      const pair = `${files.keyFile.origin}: ${files.keyFile.path}`;
      problems.push(
        reason(err) === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH'
          ? `${pair} is not the key of the certificate in ${files.certFile?.path}`
          : `${pair} and the certificate in ${files.certFile?.path} cannot be used together: ${reason(err)}`,
      );
    }
  }
  return problems;
}
