import { readFileSync } from 'node:fs';

function packageVersion(): string {
  // Works from src/ (tsx) and from dist/src/ (built).
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'connect-sentinel' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export const VERSION = packageVersion();
/** Set at image build time (Dockerfile ARG) or by the environment. */
export const REVISION = process.env.CONNECT_SENTINEL_REVISION ?? 'unknown';
