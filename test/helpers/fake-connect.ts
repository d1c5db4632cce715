/**
 * A scriptable HTTP server on 127.0.0.1 for ConnectClient unit tests: each request is answered by the
 * handler the test sets. The full simulator of the real API lives in test/sim/.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

export type FakeHandler = (req: FakeRequest, res: http.ServerResponse) => void;

export interface FakeConnect {
  readonly url: string;
  readonly requests: FakeRequest[];
  handler: FakeHandler;
  close(): Promise<void>;
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startFakeConnect(
  handler: FakeHandler,
  tls?: https.ServerOptions,
): Promise<FakeConnect> {
  const requests: FakeRequest[] = [];
  const fake = { handler } as { handler: FakeHandler };
  const listener: http.RequestListener = (req, res) => {
    const r = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    requests.push(r);
    fake.handler(r, res);
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(fake, {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
