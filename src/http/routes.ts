/**
 * The express application: which path answers what, who may ask. Order matters: the web config's headers and
 * rate limit apply to everything, a malformed target or another method than GET/HEAD is refused before
 * anything else, /healthz stays open for probes, and every other path is behind basic auth.
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Logger } from '../log.js';
import type { JsonDocument } from './json-document.js';
import { jsonRoute } from './json-route.js';
import { metricsRoute, type MetricsSource } from './metrics-route.js';
import type { PageDocument } from './page-document.js';
import { pageRoute } from './page-route.js';
import { DLQ_PATH, STATUS_PATH } from './paths.js';
import { requestTarget } from './request-target.js';
import { sendText } from './text.js';
import type { WebConfigRuntime } from './web-config.js';

export interface RouteOptions {
  /** Where /metrics is served (`--web.telemetry-path`). */
  readonly telemetryPath: string;
  readonly metrics: MetricsSource;
  /** /readyz answers 200 once this is true (every cluster polled and published once). */
  readonly ready: () => boolean;
  /** /api/v1/status and /api/v1/dlq. */
  readonly status: JsonDocument;
  readonly dlq: JsonDocument;
  /** The status page at `/`. */
  readonly page: PageDocument;
  /**
   * Brings the status, DLQ and page documents up to the latest publication; called before a request reads
   * one (the composition makes them on request, not per poll).
   */
  readonly documents: () => Promise<void>;
  readonly webConfig?: WebConfigRuntime;
  readonly logger: Logger;
}

/** A configured path as an express route that matches it literally (express 5 route syntax escaped). */
function literal(path: string): string {
  return path.replace(/[:*?+(){}[\]!\\]/g, '\\$&');
}

const text =
  (status: number, body: string): RequestHandler =>
  (_req, res) => {
    sendText(res, status, body);
  };

export function httpApp(opts: RouteOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  // Paths are routes only when they match exactly: no trailing slash, no other case.
  app.set('strict routing', true);
  app.set('case sensitive routing', true);

  const web = opts.webConfig;
  if (web) app.use(web.guard);
  app.use(requestTarget(opts.logger));
  app.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') next();
    else sendText(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  });
  app.get('/healthz', text(200, 'ok\n'));
  if (web) app.use(web.auth);

  app.get(literal(opts.telemetryPath), metricsRoute(opts.metrics));
  app.get('/readyz', (_req, res) => {
    const ready = opts.ready();
    sendText(res, ready ? 200 : 503, ready ? 'ready\n' : 'first poll not finished\n');
  });
  app.get('/', pageRoute(opts.page, opts.documents));
  app.get(STATUS_PATH, jsonRoute(opts.status, opts.documents));
  app.get(DLQ_PATH, jsonRoute(opts.dlq, opts.documents));
  app.use(text(404, 'not found\n'));

  const failed: ErrorRequestHandler = (err, req, res, _next) => {
    opts.logger.error({ err, path: req.url }, 'request failed');
    // Part of a body is already out: only closing the connection tells the client it is incomplete.
    if (res.headersSent) res.destroy();
    else sendText(res, 500, 'internal error\n');
  };
  app.use(failed);
  return app;
}
