import { createRequire } from 'node:module';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { CODECS, CodecError, registerCodecs, type Codec } from '../../../src/kafka/codecs.js';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (a: Record<string, unknown>) => Promise<Encoded>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  a: Record<string, unknown>,
) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{
  records: { offset: string; key: Buffer; value: Buffer; headers: Record<string, Buffer> }[];
}>;

const TEXT = 'connect-sentinel decodes this batch. '.repeat(8);
const hex = (h: string): Buffer => Buffer.from(h, 'hex');

/** `lz4 -B4 --no-frame-crc`: 64 KiB independent blocks, no checksum, as Kafka's lz4 output stream writes. */
const LZ4_FRAME = hex(
  '04224d1860408230000000ff16636f6e6e6563742d73656e74696e656c206465636f64657320746869732062617463682e202500eb507463682e2000000000',
);
/** `zstd` from a pipe: no content size in the frame header, as a streaming encoder (zstd-jni) writes. */
const ZSTD_FRAME = hex(
  '28b52ffd04587501005402636f6e6e6563742d73656e74696e656c206465636f64657320746869732062617463682e2001000540aa7a02310de67d',
);
/**
 * The records part of a batch of two records (keys k0, k1; values "not json 0/1"; a stage header), as
 * kafkajs encodes them, compressed by the `zstd` command line tool.
 */
const ZSTD_RECORDS = hex(
  '28b52ffd0058650200240472000000046b30146e6f74206a736f6e2030022c5f5f636f6e6e6563742e6572726f72732e73746167651e56414c55455f434f4e56455254455272000002046b313102004191a0c3ca0c',
);

const table = CompressionCodecs as Record<number, () => Codec>;

function records(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) =>
    Record({
      offsetDelta: i,
      timestampDelta: 0,
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`not json ${i}`),
      headers: { '__connect.errors.stage': Buffer.from('VALUE_CONVERTER') },
    }),
  );
}

async function roundTrip(compression: number, n: number) {
  const batch = await RecordBatch({ compression, lastOffsetDelta: n - 1, records: records(n) });
  // The wire form starts with the first offset (int64); the decoder reads it back with the rest.
  return decodeBatch(new Decoder(batch.buffer));
}

describe('compression codecs', () => {
  const saved = table[CompressionTypes.ZSTD];
  afterEach(() => {
    if (saved) table[CompressionTypes.ZSTD] = saved;
  });

  it("registering puts the three codecs in kafkajs's table, and a second call changes nothing", () => {
    expect(() => table[CompressionTypes.Snappy]?.()).toThrow(/Snappy compression not implemented/);
    registerCodecs();
    registerCodecs();
    for (const type of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD])
      expect(() => table[type]?.()).not.toThrow();
    expect(table[CompressionTypes.Snappy]?.()).toBe(CODECS.snappy);
    expect(table[CompressionTypes.LZ4]?.()).toBe(CODECS.lz4);
    expect(table[CompressionTypes.ZSTD]?.()).toBe(CODECS.zstd);
  });

  it.each([
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
  ])('a %s batch goes through kafkajs encode and decode with keys, values and headers', async (_, type) => {
    registerCodecs();
    // 3000 records: more than one 32 KiB snappy block and one 64 KiB lz4 block.
    const decoded = await roundTrip(type, 3000);
    expect(decoded.records).toHaveLength(3000);
    expect(decoded.records[2999]!.key.toString()).toBe('k2999');
    expect(decoded.records[2999]!.value.toString()).toBe('not json 2999');
    expect(decoded.records[0]!.headers['__connect.errors.stage']!.toString()).toBe('VALUE_CONVERTER');
  });

  it('a zstd batch written by another encoder is decoded by kafkajs', async () => {
    registerCodecs();
    table[CompressionTypes.ZSTD] = () => ({ ...CODECS.zstd, compress: () => Promise.resolve(ZSTD_RECORDS) });
    const decoded = await roundTrip(CompressionTypes.ZSTD, 2);
    expect(decoded.records.map((r) => [r.offset, r.key.toString(), r.value.toString()])).toEqual([
      ['0', 'k0', 'not json 0'],
      ['1', 'k1', 'not json 1'],
    ]);
  });

  it('decodes frames written by the reference tools', async () => {
    expect((await CODECS.lz4.decompress(LZ4_FRAME)).toString()).toBe(TEXT);
    expect((await CODECS.zstd.decompress(ZSTD_FRAME)).toString()).toBe(TEXT);
  });

  it('snappy reads the xerial framing of the Java client and a raw block alike', async () => {
    const framed = await CODECS.snappy.compress({ buffer: Buffer.from(TEXT) });
    expect(framed.subarray(0, 8)).toEqual(hex('82534e4150505900'));
    expect((await CODECS.snappy.decompress(framed)).toString()).toBe(TEXT);
    const raw = framed.subarray(20);
    expect((await CODECS.snappy.decompress(raw)).toString()).toBe(TEXT);
  });

  it('a corrupt batch is a CodecError naming the codec, and zstd says it does not encode', async () => {
    const framed = await CODECS.snappy.compress({ buffer: Buffer.from(TEXT) });
    await expect(CODECS.snappy.decompress(framed.subarray(0, framed.length - 5))).rejects.toThrow(
      /^snappy: cannot decode a record batch/,
    );
    await expect(CODECS.lz4.decompress(Buffer.from('not lz4 at all'))).rejects.toBeInstanceOf(CodecError);
    await expect(CODECS.zstd.decompress(Buffer.from('not zstd at all'))).rejects.toThrow(/^zstd: /);
    await expect(CODECS.zstd.compress({ buffer: Buffer.from('x') })).rejects.toThrow(/does not encode/);
  });
});
