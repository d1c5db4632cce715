// The image's HEALTHCHECK, without curl: GET /healthz on the sidecar's own listener. It finds the port the
// way the sidecar does (--web.listen-address on PID 1's command line, then CONNECT_SENTINEL_WEB_LISTEN_ADDRESS
// or WEB_LISTEN_ADDRESS, then :9840) and tries HTTP, then HTTPS (when --web.config.file turns TLS on).
// Certificates are not verified: this only asks the local process whether it is alive. A web config
// requiring client certificates refuses it: override the health check then (docs/deploy.md).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import process from 'node:process';

function listenAddress() {
  let address = process.env.CONNECT_SENTINEL_WEB_LISTEN_ADDRESS || process.env.WEB_LISTEN_ADDRESS || ':9840';
  try {
    const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    args.forEach((arg, i) => {
      if (arg === '--web.listen-address' && args[i + 1]) address = args[i + 1];
      else if (arg.startsWith('--web.listen-address=')) address = arg.slice('--web.listen-address='.length);
    });
  } catch {
    // not Linux, or no access: the environment and the default stand
  }
  const colon = address.lastIndexOf(':');
  let host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  if (host === '' || host === '0.0.0.0' || host === '::') host = '127.0.0.1';
  return { host: host.includes(':') ? `[${host}]` : host, port: address.slice(colon + 1) };
}

function probe(client, url) {
  return new Promise((resolve) => {
    const req = client.get(url, { rejectUnauthorized: false, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const { host, port } = listenAddress();
const healthy =
  (await probe(http, `http://${host}:${port}/healthz`)) ||
  (await probe(https, `https://${host}:${port}/healthz`));
process.exit(healthy ? 0 : 1);
