import { describe, expect, it } from 'vitest';
import { HEADER, headerText, parseContext, payloadJson } from '../../../src/kafka/dlq-headers.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Headers as Connect's DeadLetterQueueReporter writes them for a converter failure. */
function converterHeaders(): Record<string, Buffer> {
  return {
    [HEADER.topic]: b('orders'),
    [HEADER.partition]: b('2'),
    [HEADER.offset]: b('1234'),
    [HEADER.connector]: b('orders-sink'),
    [HEADER.task]: b('0'),
    [HEADER.stage]: b('VALUE_CONVERTER'),
    [HEADER.executingClass]: b('org.apache.kafka.connect.json.JsonConverter'),
    [HEADER.exceptionClass]: b('org.apache.kafka.connect.errors.DataException'),
    [HEADER.exceptionMessage]: b(
      'Converting byte[] to Kafka Connect data failed due to serialization error: ',
    ),
    [HEADER.stacktrace]: b('org.apache.kafka.connect.errors.DataException: Converting ...\n\tat ...'),
  };
}

describe('parseContext', () => {
  it('reads every context header Connect writes', () => {
    const ctx = parseContext(converterHeaders());
    expect(ctx).toEqual({
      hasContext: true,
      stage: 'VALUE_CONVERTER',
      exceptionClass: 'org.apache.kafka.connect.errors.DataException',
      exceptionMessage: 'Converting byte[] to Kafka Connect data failed due to serialization error: ',
      executingClass: 'org.apache.kafka.connect.json.JsonConverter',
      connector: 'orders-sink',
      taskId: 0,
      original: { topic: 'orders', partition: 2, offset: 1234 },
      stacktrace: 'org.apache.kafka.connect.errors.DataException: Converting ...\n\tat ...',
    });
  });

  it('says unknown for a record without context headers, whatever other headers it carries', () => {
    expect(parseContext({})).toEqual({ hasContext: false, stage: 'unknown', exceptionClass: 'unknown' });
    expect(parseContext({ origin: b('test'), 'content-type': b('json') })).toEqual({
      hasContext: false,
      stage: 'unknown',
      exceptionClass: 'unknown',
    });
  });

  it('keeps the parts present when some headers are missing (no original record for TASK_POLL)', () => {
    const ctx = parseContext({
      [HEADER.stage]: b('TASK_POLL'),
      [HEADER.connector]: b('src'),
      [HEADER.task]: b('3'),
      [HEADER.exceptionClass]: b('org.apache.kafka.connect.errors.RetriableException'),
    });
    expect(ctx.stage).toBe('TASK_POLL');
    expect(ctx.taskId).toBe(3);
    expect(ctx.original).toBeUndefined();
    expect(ctx.exceptionMessage).toBeUndefined();
  });

  it('treats a null exception message header (Throwable with null message) as no message', () => {
    const ctx = parseContext({
      [HEADER.stage]: b('TASK_PUT'),
      [HEADER.exceptionClass]: b('java.lang.Throwable'),
      [HEADER.exceptionMessage]: null,
    });
    expect(ctx.stage).toBe('TASK_PUT');
    expect(ctx.exceptionClass).toBe('java.lang.Throwable');
    expect(ctx.exceptionMessage).toBeUndefined();
  });

  it('refuses binary or malformed values instead of turning them into labels', () => {
    const ctx = parseContext({
      [HEADER.stage]: Buffer.from([0xff, 0xfe, 0x00]),
      [HEADER.exceptionClass]: b('not a class; rm -rf /'),
      [HEADER.partition]: b('two'),
      [HEADER.offset]: Buffer.from([0xc3]),
      [HEADER.topic]: b('in'),
    });
    expect(ctx.hasContext).toBe(true);
    expect(ctx.stage).toBe('unknown');
    expect(ctx.exceptionClass).toBe('unknown');
    expect(ctx.original).toEqual({ topic: 'in' });
  });

  it("passes Connect's eight stages and turns any other value into unknown (a DLQ writer cannot mint series)", () => {
    const known = [
      'TASK_POLL',
      'TASK_PUT',
      'TRANSFORMATION',
      'KEY_CONVERTER',
      'VALUE_CONVERTER',
      'HEADER_CONVERTER',
      'KAFKA_PRODUCE',
      'KAFKA_CONSUME',
    ];
    for (const stage of known) expect(parseContext({ [HEADER.stage]: b(stage) }).stage).toBe(stage);
    const minted = new Set<string>();
    for (let i = 0; i < 5_000; i++) minted.add(parseContext({ [HEADER.stage]: b(`STAGE_${i}`) }).stage);
    expect([...minted]).toEqual(['unknown']);
    expect(parseContext({ [HEADER.stage]: b('lower case') }).stage).toBe('unknown');
    expect(parseContext({ [HEADER.stage]: b(' TASK_PUT ') }).stage).toBe('TASK_PUT');
  });

  it('takes the last value of a repeated header (a record re-sent from a DLQ carries the old ones first)', () => {
    const ctx = parseContext({ [HEADER.stage]: [b('VALUE_CONVERTER'), b('TRANSFORMATION')] });
    expect(ctx.stage).toBe('TRANSFORMATION');
    expect(headerText({ x: [b('a'), null] }, 'x')).toBeUndefined();
  });

  it('cuts a huge exception message and stack trace', () => {
    const ctx = parseContext({
      [HEADER.exceptionMessage]: b('m'.repeat(100_000)),
      [HEADER.stacktrace]: b('s'.repeat(100_000)),
    });
    expect(ctx.exceptionMessage!.length).toBeLessThanOrEqual(1025);
    expect(ctx.stacktrace!.length).toBeLessThanOrEqual(2049);
  });
});

describe('payloadJson', () => {
  it('shows UTF-8 as text and other bytes as base64', () => {
    expect(payloadJson(b('{"a":1}'), 100)).toEqual({ text: '{"a":1}', encoding: 'utf8', truncated: false });
    expect(payloadJson(Buffer.from([0, 0xff, 1]), 100)).toEqual({
      text: 'AP8B',
      encoding: 'base64',
      truncated: false,
    });
    expect(payloadJson(null, 100)).toBeNull();
  });

  it('cuts to the byte limit without breaking a multi-byte character', () => {
    const out = payloadJson(b('ééé'), 3); // 6 bytes; byte 3 is in the middle of the second é
    expect(out).toEqual({ text: 'é', encoding: 'utf8', truncated: true });
    expect(payloadJson(b('abcdef'), 4)).toEqual({ text: 'abcd', encoding: 'utf8', truncated: true });
  });
});
