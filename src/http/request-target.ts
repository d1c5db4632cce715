/**
 * Only origin-form request targets (RFC 9112 §3.2.1: a path from the root, optionally a query) reach the
 * routes. Absolute-form (`GET http://x/metrics`) and malformed targets (`GET //[`) get 400 before auth and
 * are logged at debug only: anyone can send them, so they must not flood the log.
 */
import type { RequestHandler } from 'express';
import type { Logger } from '../log.js';
import { sendText } from './text.js';

/** RFC 3986 pchar (and "/" in paths, "/" and "?" in queries), percent-escapes well-formed. */
const PCHAR = "[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2}";
const ORIGIN_FORM = new RegExp(`^(?:/(?:${PCHAR})*)+(?:\\?(?:${PCHAR}|[/?])*)?$`);

export function isOriginForm(target: string): boolean {
  return ORIGIN_FORM.test(target);
}

export function requestTarget(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (isOriginForm(req.url)) {
      next();
      return;
    }
    logger.debug({ target: req.url.slice(0, 200), remote: req.socket.remoteAddress }, 'bad request target');
    sendText(res, 400, 'bad request target: expected a path like /metrics\n');
  };
}
