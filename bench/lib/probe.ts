/** What a child process reports about itself: memory and event-loop delay since the last reset. */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProcessFigures {
  readonly rssBytes: number;
  readonly maxRssBytes: number;
  readonly heapUsedBytes: number;
  /**
   * The kernel's high-water mark of the process's RSS (VmHWM) over its whole life, first poll included,
   * which the 100 ms samples of `maxRssBytes` can miss; NaN where /proc is not there.
   */
  readonly peakRssBytes: number;
  /** Bytes of ArrayBuffers (Buffers: the exposition, the sockets') outside the JS heap. */
  readonly arrayBuffersBytes: number;
  /** Event-loop delay in ms (perf_hooks histogram, 5 ms resolution). */
  readonly delay: { readonly p50: number; readonly p99: number; readonly max: number; readonly mean: number };
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

  reset(): void {
    this.hist.reset();
    this.maxRss = process.memoryUsage.rss();
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
      arrayBuffersBytes: m.arrayBuffers,
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
