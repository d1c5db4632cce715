/**
 * The compression codecs kafkajs lacks (it decodes only uncompressed and gzip batches), in pure JavaScript
 * so that nothing is compiled or downloaded at install: snappy (snappyjs, with the xerial framing the
 * Java client writes), lz4 (lz4js, the LZ4 frame format of record batch v2) and zstd (fzstd, decode only).
 * kafkajs keeps its codecs in one table shared by every client of the process: registering them once,
 * where a client is made, makes the sidecar's DLQ reader and the CLI decode whatever a worker's
 * `producer.compression.type` wrote.
 */
import kafkajs from 'kafkajs';
import { compressFrame as lz4CompressFrame, compressBound, decompress as lz4Decompress } from 'lz4js';
import { decompress as zstdDecompress } from 'fzstd';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappyjs';

/** A batch a codec could not decode: the reader skips its partition rather than retrying it forever. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(codec: string, cause: unknown) {
    super(
      `${codec}: cannot decode a record batch: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/** What kafkajs calls: `compress` with its encoder, `decompress` with a batch's records bytes. */
export interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

// xerial snappy-java's SnappyOutputStream: a 16-byte header (magic, version 1, compatible version 1),
// then blocks, each a big-endian int32 length and a raw snappy block.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
/** snappy-java's default block size: a record batch is cut into blocks of at most this many bytes. */
const XERIAL_BLOCK = 32 * 1024;

function snappyDecode(buffer: Buffer): Buffer {
  if (buffer.length < 16 || !buffer.subarray(0, 8).equals(XERIAL_MAGIC))
    return Buffer.from(snappyUncompress(buffer));
  const parts: Buffer[] = [];
  let at = 16;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new Error('xerial block length cut short');
    const len = buffer.readInt32BE(at);
    at += 4;
    if (len < 0 || at + len > buffer.length) throw new Error(`xerial block of ${len} bytes cut short`);
    parts.push(Buffer.from(snappyUncompress(buffer.subarray(at, at + len))));
    at += len;
  }
  return Buffer.concat(parts);
}

function snappyEncode(data: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
    const block = Buffer.from(snappyCompress(data.subarray(at, at + XERIAL_BLOCK)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

function lz4Encode(data: Buffer): Buffer {
  const out = Buffer.alloc(compressBound(data.length) + 32);
  return out.subarray(0, lz4CompressFrame(data, out));
}

function decoding(name: string, decode: (b: Buffer) => Buffer): Codec['decompress'] {
  return (buffer) => {
    try {
      return Promise.resolve(decode(buffer));
    } catch (err) {
      return Promise.reject(new CodecError(name, err));
    }
  };
}

export const CODECS: Readonly<Record<'snappy' | 'lz4' | 'zstd', Codec>> = {
  snappy: {
    compress: (e) => Promise.resolve(snappyEncode(e.buffer)),
    decompress: decoding('snappy', snappyDecode),
  },
  lz4: {
    compress: (e) => Promise.resolve(lz4Encode(e.buffer)),
    decompress: decoding('lz4', (b) => Buffer.from(lz4Decompress(b))),
  },
  zstd: {
    // No pure-JavaScript zstd encoder is maintained; nothing here produces zstd batches.
    compress: () => Promise.reject(new Error('zstd: connect-sentinel decodes zstd but does not encode it')),
    decompress: decoding('zstd', (b) => {
      const out = zstdDecompress(b);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    }),
  },
};

// Node's ESM view of kafkajs (a CommonJS package) does not name CompressionCodecs: reach it by default.
const { CompressionCodecs, CompressionTypes } = kafkajs;

let registered = false;

/** Puts the codecs in kafkajs's table (idempotent). */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const table = CompressionCodecs as Record<number, () => Codec>;
  table[CompressionTypes.Snappy] = () => CODECS.snappy;
  table[CompressionTypes.LZ4] = () => CODECS.lz4;
  table[CompressionTypes.ZSTD] = () => CODECS.zstd;
}
