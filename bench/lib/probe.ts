/** What a child process reports about itself: memory and event-loop delay since the last reset. */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface ProcessFigures {
  readonly rssBytes: number;
  readonly maxRssBytes: number;
  readonly heapUsedBytes: number;
  /**
   * The kernel's high-water mark of the process's RSS (VmHWM) over its whole life, first poll included,
   * which the 100 ms samples of `maxRssBytes` can miss; NaN where /proc is not there.
   */
  readonly peakRssBytes: number;
  /** Event-loop delay in ms (perf_hooks histogram, 5 ms resolution). */
  readonly delay: { readonly p50: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** CPU time (user + system) of the process since the last reset, in ms. */
  readonly cpuMs: number;
}

export class ProcessProbe {
  private readonly hist = monitorEventLoopDelay({ resolution: 5 });
  private maxRss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.hist.enable();
    this.timer = setInterval(() => {
      this.maxRss = Math.max(this.maxRss, process.memoryUsage.rss());
    }, 100);
    this.timer.unref();
  }

  private cpu = process.cpuUsage();

  reset(): void {
    this.hist.reset();
    this.maxRss = process.memoryUsage.rss();
    this.cpu = process.cpuUsage();
  }

  figures(): ProcessFigures {
    const m = process.memoryUsage();
    this.maxRss = Math.max(this.maxRss, m.rss);
    const ms = (ns: number): number => ns / 1e6;
    return {
      rssBytes: m.rss,
      maxRssBytes: this.maxRss,
      heapUsedBytes: m.heapUsed,
      peakRssBytes: highWaterMark(),
      cpuMs: ((u) => (u.user + u.system) / 1000)(process.cpuUsage(this.cpu)),
      delay: {
        p50: ms(this.hist.percentile(50)),
        p99: ms(this.hist.percentile(99)),
        max: ms(this.hist.max),
        mean: ms(this.hist.mean),
      },
    };
  }
}

function highWaterMark(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) * 1024;
  } catch {
    return NaN;
  }
}

/**
 * Where a process's resident memory is now, in bytes: file-backed pages (the node binary and libraries,
 * shared with other node processes), V8's young generation and the rest of its heap (both as committed,
 * garbage included), ArrayBuffers (Buffers) outside the heap, and the remaining private memory (malloc:
 * zlib, libuv, V8's own tables, freed but unreturned memory). Needs Linux's smaps_rollup.
 */
export interface MemoryBreakdown {
  readonly rss: number;
  readonly fileBacked: number;
  readonly youngGeneration: number;
  readonly restOfHeap: number;
  readonly heapUsed: number;
  readonly arrayBuffers: number;
  readonly otherPrivate: number;
}

export function memoryBreakdown(): MemoryBreakdown {
  const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1] ?? NaN) * 1024;
  const spaces = v8.getHeapSpaceStatistics();
  const young = spaces
    .filter((x) => x.space_name.startsWith('new_'))
    .reduce((n, x) => n + x.physical_space_size, 0);
  const heap = spaces.reduce((n, x) => n + x.physical_space_size, 0);
  const m = process.memoryUsage();
  const anonymous = kb('Anonymous');
  return {
    rss: kb('Rss'),
    fileBacked: kb('Rss') - anonymous,
    youngGeneration: young,
    restOfHeap: heap - young,
    heapUsed: m.heapUsed,
    arrayBuffers: m.arrayBuffers,
    otherPrivate: anonymous - heap - m.arrayBuffers,
  };
}
