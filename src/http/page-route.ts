/** `GET /`: the status page's buffers; `?refresh=off` gives the same page without its meta refresh. */
import type { RequestHandler, Response } from 'express';
import type { PageDocument } from './page-document.js';
import { sendText } from './text.js';

/**
 * Scripts and everything but inline style are refused by the browser even if a value escaped the escaping.
 * The web config's `http_server_config.headers` win where they set the same header.
 */
const DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** Whether to refresh, from the query; a string is the reason for a 400. */
function refreshOf(search: string): boolean | string {
  let refresh = true;
  for (const [key, value] of new URLSearchParams(search)) {
    if (key !== 'refresh') return `unknown query parameter "${key}" (known: refresh)`;
    if (value === 'off' || value === 'false' || value === '0') refresh = false;
    else if (value === 'on' || value === 'true' || value === '1' || value === '') refresh = true;
    else return `refresh="${value}": expected on or off`;
  }
  return refresh;
}

function setDefaults(res: Response): void {
  for (const [name, value] of Object.entries(DEFAULT_HEADERS))
    if (res.getHeader(name) === undefined) res.setHeader(name, value);
}

/** `fresh` brings the page up to date before it is read. */
export function pageRoute(page: PageDocument, fresh: () => Promise<void>): RequestHandler {
  return async (req, res) => {
    const q = req.url.indexOf('?');
    const refresh = refreshOf(q < 0 ? '' : req.url.slice(q + 1));
    if (typeof refresh === 'string') {
      sendText(res, 400, `${refresh}\n`);
      return;
    }
    await fresh();
    const body = page.body(refresh);
    setDefaults(res);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.cork();
    for (const p of body.parts) res.write(p);
    res.end();
  };
}
