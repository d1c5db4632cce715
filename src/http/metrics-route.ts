/**
 * `GET <telemetry path>`: the exposition the last publication left ready, written as it is (the plain
 * parts corked into as few writes as the socket takes, or the gzip); nothing is rendered per scrape.
 */
import type { RequestHandler, Response } from 'express';
import { CONTENT_TYPE } from '../exposition/text.js';
import { acceptsGzip } from './accept-encoding.js';

export interface MetricsSource {
  /** The plain body as buffers to write in order, and its length. */
  readonly parts: readonly Buffer[];
  readonly length: number;
  /** Undefined while the current body's gzip is being made. */
  readonly gzip: Buffer | undefined;
  /** Resolves when the gzip being made is ready (or given up): a gzip scrape waits for it, not for more. */
  compressed(): Promise<void>;
}

function send(metrics: MetricsSource, head: boolean, res: Response, wantsGzip: boolean): void {
  // A gzip still being made (a newer poll came while waiting) gets the plain body.
  const zipped = wantsGzip ? metrics.gzip : undefined;
  // The parts of the body this scrape sends, taken now: a poll publishing meanwhile swaps in new ones.
  const parts = zipped !== undefined ? [zipped] : metrics.parts;
  res.writeHead(200, {
    'content-type': CONTENT_TYPE,
    'content-length': zipped?.length ?? metrics.length,
    ...(zipped !== undefined ? { 'content-encoding': 'gzip' } : {}),
    vary: 'Accept-Encoding',
  });
  if (head) {
    res.end();
    return;
  }
  // Corked, the parts go out in as few writes (writev) as the socket takes.
  res.cork();
  for (const p of parts) res.write(p);
  res.end();
}

export function metricsRoute(metrics: MetricsSource): RequestHandler {
  return (req, res, next) => {
    const head = req.method === 'HEAD';
    const wantsGzip = acceptsGzip(req.headers['accept-encoding']);
    if (wantsGzip && metrics.gzip === undefined) {
      // Right after a poll the new body's gzip takes milliseconds (only changed parts are deflated): waiting
      // for it beats sending the plain body, ~30× larger. It is never an older body than the latest.
      metrics.compressed().then(() => send(metrics, head, res, true), next);
      return;
    }
    send(metrics, head, res, wantsGzip);
  };
}
