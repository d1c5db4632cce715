import { createGzip } from 'node:zlib';
import { FAMILIES } from './families.js';
import type { Fragments } from './render.js';
import { escapeHelp, escapeLabelValue } from './text.js';

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
}

/**
 * Holds the rendered exposition. Pollers hand in each cluster's fragments after a poll; the body is
 * assembled then, as the list of those buffers in exposition order (nothing is copied: a scrape writes the
 * list), so a scrape only writes ready buffers. The gzip of each body is made once, off the event loop,
 * right after it is assembled; in the few milliseconds until it is ready a scrape that asks for gzip gets
 * the plain body, so no scrape waits for compression and none gets an older body.
 */
export class ExpositionCache {
  private readonly clusters = new Map<string, Fragments>();
  private extra = Buffer.alloc(0);
  private body: readonly Buffer[] = [];
  private bodyLength = 0;
  private joined: Buffer | undefined;
  private gzipped: Buffer | undefined;
  private gzipDone: Promise<void> = Promise.resolve();
  private version = 0;
  private readonly buildInfoLine: Buffer;
  /** Times the body was assembled: once per poll, never per scrape. */
  assembles = 0;

  constructor(build: BuildInfo) {
    this.buildInfoLine = Buffer.from(
      `connect_sentinel_build_info{version="${escapeLabelValue(build.version)}",` +
        `revision="${escapeLabelValue(build.revision)}",nodejs_version="${escapeLabelValue(process.version)}"} 1\n`,
    );
    this.assemble();
  }

  setCluster(cluster: string, fragments: Fragments): void {
    this.clusters.set(cluster, fragments);
    this.assemble();
  }

  removeCluster(cluster: string): void {
    this.clusters.delete(cluster);
    this.assemble();
  }

  /** Text appended after our families (process metrics), refreshed by the caller. */
  setExtra(text: string, assemble = true): void {
    this.extra = Buffer.from(text);
    if (assemble) this.assemble();
  }

  /** The body as buffers to write in order (what a scrape sends). */
  get parts(): readonly Buffer[] {
    return this.body;
  }

  /** The body's length in bytes. */
  get length(): number {
    return this.bodyLength;
  }

  /** The body as one buffer: a copy made on first use (tests, tools); scrapes write `parts`. */
  get text(): Buffer {
    this.joined ??= Buffer.concat(this.body, this.bodyLength);
    return this.joined;
  }

  /** The gzip of the current body, or undefined while it is being made. */
  get gzip(): Buffer | undefined {
    return this.gzipped;
  }

  /** Resolves once the current body's gzip is ready (or failed: then scrapes get plain text). */
  compressed(): Promise<void> {
    return this.gzipDone;
  }

  private compress(): void {
    const version = this.version;
    const parts = this.body;
    this.gzipped = undefined;
    this.gzipDone = new Promise((resolve) => {
      // Level 1: the exposition compresses ~30× even so, at a fraction of the default level's CPU.
      const z = createGzip({ level: 1, chunkSize: 256 * 1024 });
      const out: Buffer[] = [];
      z.on('data', (chunk: Buffer) => out.push(chunk));
      z.on('end', () => {
        if (version === this.version) this.gzipped = Buffer.concat(out);
        resolve();
      });
      z.on('error', () => resolve());
      for (const p of parts) z.write(p);
      z.end();
    });
  }

  private assemble(): void {
    const names = [...this.clusters.keys()].sort();
    const parts: Buffer[] = [];
    for (const fam of FAMILIES) {
      const header = HEADERS.get(fam.name) as Buffer;
      if (!fam.perCluster) {
        parts.push(header, this.buildInfoLine);
        continue;
      }
      let any = false;
      for (const name of names) {
        const frag = this.clusters.get(name)?.[fam.name];
        if (frag === undefined || frag.length === 0) continue;
        if (!any) parts.push(header);
        any = true;
        for (const b of frag) parts.push(b);
      }
    }
    parts.push(this.extra);
    this.body = parts;
    this.bodyLength = parts.reduce((n, p) => n + p.length, 0);
    this.joined = undefined;
    this.version++;
    this.assembles++;
    this.compress();
  }
}

const HEADERS = new Map(
  FAMILIES.map((f) => [
    f.name,
    Buffer.from(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`),
  ]),
);
