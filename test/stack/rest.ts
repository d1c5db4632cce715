import http from 'node:http';
import https from 'node:https';

/** Where a Connect worker's REST API is and how to reach it (plain string = URL without auth/TLS). */
export interface ConnectTarget {
  url: string;
  basicAuth?: { username: string; password: string } | undefined;
  /** PEM of the CA that signed the worker's HTTPS certificate. */
  caPem?: string | undefined;
}

export type Target = string | ConnectTarget;

export interface RestResponse {
  status: number;
  /** Parsed JSON when the body is JSON, else the raw text (or undefined when empty). */
  body: unknown;
  text: string;
}

export function toTarget(t: Target): ConnectTarget {
  return typeof t === 'string' ? { url: t } : t;
}

/**
 * One HTTP(S) request to a Connect worker. Uses node:http(s) rather than fetch so a custom CA
 * works without undici. Never throws on HTTP status; throws on transport errors / timeout.
 */
export function rest(
  target: Target,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<RestResponse> {
  const t = toTarget(target);
  const url = new URL(path, t.url.endsWith('/') ? t.url : `${t.url}/`);
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: string | undefined;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (t.basicAuth) {
    headers.authorization = `Basic ${Buffer.from(`${t.basicAuth.username}:${t.basicAuth.password}`).toString('base64')}`;
  }
  const isHttps = url.protocol === 'https:';
  const mod = isHttps ? https : http;
  return new Promise<RestResponse>((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method,
        headers,
        agent: false,
        timeout: timeoutMs,
        ...(isHttps && t.caPem ? { ca: t.caPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text === '' ? undefined : text;
          if (text !== '' && /json/i.test(String(res.headers['content-type'] ?? ''))) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like rest() but throws unless the status is one of `ok`. */
export async function restOk(
  target: Target,
  method: string,
  path: string,
  body?: unknown,
  ok: number[] = [200, 201, 202, 204],
): Promise<RestResponse> {
  const res = await rest(target, method, path, body);
  if (!ok.includes(res.status)) {
    throw new Error(`${method} ${path} -> ${res.status}: ${res.text.slice(0, 2000)}`);
  }
  return res;
}
