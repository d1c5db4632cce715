/** The short plain-text answers (probes, errors), with their length so no chunked framing is needed. */
import type { ServerResponse } from 'node:http';

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  res
    .writeHead(status, {
      ...headers,
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(body),
    })
    .end(body);
}
