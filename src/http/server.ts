import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTENT_TYPE } from '../exposition/text.js';
import type { Logger } from '../log.js';

export interface MetricsSource {
  /** The plain body as buffers to write in order, and its length. */
  readonly parts: readonly Buffer[];
  readonly length: number;
  /** Undefined while the current body's gzip is being made. */
  readonly gzip: Buffer | undefined;
  /** Resolves when the gzip being made is ready (or given up): a gzip scrape waits for it, not for more. */
  compressed(): Promise<void>;
}

export type JsonRoute = (url: URL) => unknown;

export interface HttpOptions {
  readonly host?: string;
  readonly port: number;
  readonly telemetryPath: string;
  readonly metrics: MetricsSource;
  readonly ready: () => boolean;
  /** Extra JSON endpoints by exact path, e.g. /api/v1/status. */
  readonly json: ReadonlyMap<string, JsonRoute>;
  readonly logger: Logger;
  /** Answers 401 when it returns (or resolves to) false (basic auth from the web config; bcrypt is slow, so async). */
  readonly authorize?: (req: http.IncomingMessage) => boolean | Promise<boolean>;
  /** Makes the server; defaults to plain HTTP. The web config swaps in HTTPS. */
  readonly createServer?: (handler: http.RequestListener) => http.Server;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function landingPage(telemetryPath: string, json: Iterable<string>): string {
  const links = [telemetryPath, '/healthz', '/readyz', ...json]
    .map((p) => `<li><a href="${p.slice(1)}">${p}</a></li>`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>connect-sentinel</title></head><body><h1>connect-sentinel</h1><p>Kafka Connect monitoring sidecar.</p><ul>${links}</ul></body></html>`;
}

export function startHttpServer(opts: HttpOptions): Promise<RunningServer> {
  const landing = Buffer.from(landingPage(opts.telemetryPath, opts.json.keys()));
  const fail = (err: unknown, req: http.IncomingMessage, res: http.ServerResponse): void => {
    opts.logger.error({ err, path: req.url }, 'request failed');
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('internal error\n');
  };
  const deny = (res: http.ServerResponse): void => {
    res
      .writeHead(401, { 'www-authenticate': 'Basic realm="connect-sentinel"', 'content-type': 'text/plain' })
      .end('unauthorized\n');
  };
  const handler: http.RequestListener = (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      }
      const allowed = opts.authorize?.(req) ?? true;
      if (allowed === true) serve(url, req, res);
      else if (allowed === false) deny(res);
      else
        allowed
          .then((ok) => (ok ? serve(url, req, res) : deny(res)))
          .catch((err: unknown) => fail(err, req, res));
    } catch (err) {
      fail(err, req, res);
    }
  };
  const sendMetrics = (req: http.IncomingMessage, res: http.ServerResponse, wantsGzip: boolean): void => {
    // A gzip still being made (a newer poll came while waiting) gets the plain body.
    const zipped = wantsGzip ? opts.metrics.gzip : undefined;
    // The parts of the body this scrape sends, taken now: a poll publishing meanwhile swaps in new ones.
    const parts = zipped !== undefined ? [zipped] : opts.metrics.parts;
    res.writeHead(200, {
      'content-type': CONTENT_TYPE,
      'content-length': zipped?.length ?? opts.metrics.length,
      ...(zipped !== undefined ? { 'content-encoding': 'gzip' } : {}),
      vary: 'Accept-Encoding',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // Corked, the parts go out in as few writes (writev) as the socket takes.
    res.cork();
    for (const p of parts) res.write(p);
    res.end();
  };
  const serve = (url: URL, req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (url.pathname === opts.telemetryPath) {
      const wantsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      if (wantsGzip && opts.metrics.gzip === undefined) {
        // Right after a poll the new body's gzip takes milliseconds (only changed parts are deflated): waiting
        // for it beats sending the plain body, ~30× larger. It is never an older body than the latest.
        opts.metrics
          .compressed()
          .then(() => sendMetrics(req, res, true))
          .catch((err: unknown) => fail(err, req, res));
        return;
      }
      sendMetrics(req, res, wantsGzip);
      return;
    }
    if (url.pathname === '/readyz') {
      const ready = opts.ready();
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ready ? 'ready\n' : 'first poll not finished\n');
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(landing);
      return;
    }
    const route = opts.json.get(url.pathname);
    if (route) {
      const body = JSON.stringify(route(url), null, url.searchParams.has('pretty') ? 2 : undefined);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };
  const server = (opts.createServer ?? ((h) => http.createServer(h)))(handler);
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const scheme = 'setSecureContext' in server ? 'https' : 'http';
      resolve({
        url: `${scheme}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`,
        port: addr.port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
