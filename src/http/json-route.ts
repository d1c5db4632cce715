/** `GET /api/v1/status`, `GET /api/v1/dlq`: a JsonDocument's buffers, filtered by the query. */
import type { RequestHandler } from 'express';
import type { JsonDocument } from './json-document.js';
import { JsonQueryError, parseJsonQuery } from './json-query.js';
import { sendText } from './text.js';

/** `fresh` brings the document up to date before it is read. */
export function jsonRoute(doc: JsonDocument, fresh: () => Promise<void>): RequestHandler {
  return async (req, res) => {
    const q = req.url.indexOf('?');
    let query;
    try {
      query = parseJsonQuery(q < 0 ? '' : req.url.slice(q + 1));
    } catch (err) {
      if (!(err instanceof JsonQueryError)) throw err;
      sendText(res, 400, `${err.message}\n`);
      return;
    }
    await fresh();
    const body = doc.body(query.filter, query.pretty);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.cork();
    for (const p of body.parts) res.write(p);
    res.end();
  };
}
