/**
 * One gzip member from a list of buffers, pigz-style: each part is deflated on its own and ended with a full
 * flush (byte-aligned, no history carried over), so deflated parts can be joined into one stream and a part
 * seen before keeps its deflated bytes. A body that changes in a few parts is recompressed in those parts only.
 */
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';

const deflateRawAsync = promisify(deflateRaw);

/** A gzip member's header: deflate, no name, no time, Unix. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);
/** An empty final deflate block: ends the stream the parts' flushed blocks make. */
const END = Buffer.from([0x03, 0x00]);
/** Bytes of CRC-32 between two pauses. */
const CRC_SLICE = 4 * 2 ** 20;

export interface GzipPartsOptions {
  /** Deflated bytes of parts seen before, for as long as the part lives. */
  readonly deflated: WeakMap<Buffer, Buffer>;
  /** Lets other work run between slices of the CRC (which runs on the calling thread). */
  readonly pause: () => Promise<void>;
  /** False once the result is no longer wanted (a newer body came): the work stops early. */
  readonly wanted: () => boolean;
  /** zlib level; the default 1 is ~30× on metric text at a fraction of the default level's CPU. */
  readonly level?: number;
}

/** The gzip of the concatenation of `parts`, or undefined if it stopped being wanted. */
export async function gzipParts(
  parts: readonly Buffer[],
  opts: GzipPartsOptions,
): Promise<Buffer | undefined> {
  const out: Buffer[] = [HEADER];
  let length = 0;
  for (const p of parts) {
    let d = opts.deflated.get(p);
    if (d === undefined) {
      // One at a time, in the thread pool: each deflate holds its own zlib state (~300 KB) while it runs.
      d = await deflateRawAsync(p, { level: opts.level ?? 1, finishFlush: constants.Z_FULL_FLUSH });
      opts.deflated.set(p, d);
    }
    if (!opts.wanted()) return undefined;
    out.push(d);
    length += p.length;
  }
  let crc = 0;
  let since = 0;
  for (const p of parts) {
    // zlib.crc32 of an empty buffer returns 0 here, whatever the running value: skip them.
    if (p.length > 0) crc = crc32(p, crc);
    since += p.length;
    if (since >= CRC_SLICE) {
      since = 0;
      await opts.pause();
      if (!opts.wanted()) return undefined;
    }
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  out.push(END, trailer);
  return Buffer.concat(out);
}
