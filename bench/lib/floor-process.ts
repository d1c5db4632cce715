/**
 * The floor of any /metrics server on node:http: a server that answers every request with the same ready
 * buffers (the sentinel's latest bodies, copied in), doing nothing else. Driven by a bench over IPC.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from './child.js';
import { ProcessProbe } from './probe.js';

let server: http.Server | undefined;
const probe = new ProcessProbe();

serve({
  async start(plainBytes: number, gzipBytes: number) {
    // Bytes of the sizes the sentinel serves; their content does not matter to a scraper that only counts them.
    const plain = Buffer.alloc(plainBytes, 'x');
    const gzip = Buffer.alloc(gzipBytes, 'x');
    server = http.createServer((req, res) => {
      const zipped = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = zipped ? gzip : plain;
      res.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'content-length': body.length,
        ...(zipped ? { 'content-encoding': 'gzip' } : {}),
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    probe.reset();
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  },
  reset() {
    probe.reset();
  },
  stats() {
    return { ...probe.figures(), polls: 0 };
  },
  async stop() {
    await new Promise((resolve) => server?.close(resolve));
  },
});
