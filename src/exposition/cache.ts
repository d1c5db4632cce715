import { gzipParts } from '../lib/gzip-parts.js';
import { yieldToIo } from '../yield.js';
import { FAMILIES, sampleFormat } from './families.js';
import type { Fragments } from './render.js';
import { escapeHelp, escapeLabelValue } from './text.js';

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
}

/**
 * Holds the rendered exposition. Each publisher hands in a cluster's fragments when they change; the body is
 * assembled then, as the list of those buffers in exposition order (nothing is copied: a scrape writes the
 * list), so a scrape only writes ready buffers. The gzip of each body is made once, right after it is
 * assembled, deflating only the parts that changed (in the thread pool); in the few milliseconds until it is
 * ready `gzip` is undefined (the HTTP server makes a gzip scrape wait for it), so no scrape gets an older body.
 */
/**
 * Who published a cluster's fragments: its sources' snapshot, healing (restart counters) or notifications
 * (webhook counts). Each publishes on its own schedule; none waits for or writes into another.
 */
export type Publisher = 'snapshot' | 'restarts' | 'notifications';
const PUBLISHERS: readonly Publisher[] = ['snapshot', 'restarts', 'notifications'];

export class ExpositionCache {
  private readonly clusters = new Map<string, Partial<Record<Publisher, Fragments>>>();
  private extra = Buffer.alloc(0);
  private body: readonly Buffer[] = [];
  private bodyLength = 0;
  private joined: Buffer | undefined;
  private gzipped: Buffer | undefined;
  /** Each part's deflated bytes, for as long as the part lives. */
  private readonly deflated = new WeakMap<Buffer, Buffer>();
  private gzipDone: Promise<void> = Promise.resolve();
  private version = 0;
  private readonly buildInfoLine: Buffer;
  /** Times the body was assembled: once per poll, never per scrape. */
  assembles = 0;

  constructor(build: BuildInfo) {
    this.buildInfoLine = Buffer.from(
      sampleFormat('connect_sentinel_build_info')(
        '',
        [
          escapeLabelValue(build.version),
          escapeLabelValue(build.revision),
          escapeLabelValue(process.version),
        ],
        1,
      ),
    );
    this.assemble();
  }

  setCluster(cluster: string, fragments: Fragments, publisher: Publisher = 'snapshot'): void {
    let byPublisher = this.clusters.get(cluster);
    if (byPublisher === undefined) {
      byPublisher = {};
      this.clusters.set(cluster, byPublisher);
    }
    byPublisher[publisher] = fragments;
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

  /** The gzip of the current body, made in the background; only parts not seen before are deflated. */
  private compress(): void {
    const version = this.version;
    this.gzipped = undefined;
    this.gzipDone = gzipParts(this.body, {
      deflated: this.deflated,
      pause: yieldToIo,
      wanted: () => version === this.version,
    })
      .then((gz) => {
        if (gz !== undefined && version === this.version) this.gzipped = gz;
      })
      .catch(() => undefined);
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
        const byPublisher = this.clusters.get(name) as Partial<Record<Publisher, Fragments>>;
        for (const publisher of PUBLISHERS) {
          const frag = byPublisher[publisher]?.[fam.name];
          if (frag === undefined || frag.length === 0) continue;
          if (!any) parts.push(header);
          any = true;
          for (const b of frag) if (b.length > 0) parts.push(b);
        }
      }
    }
    if (this.extra.length > 0) parts.push(this.extra);
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
