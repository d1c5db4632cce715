/**
 * A DLQ record's `__connect.errors.*` context headers (KIP-298, written by Connect's
 * DeadLetterQueueReporter when `errors.deadletterqueue.context.headers.enable=true`) → what went wrong.
 * Pure. Header values are UTF-8 text; numbers are decimal text.
 */

/**
 * Connect's `Stage` enum (unchanged from 2.0 to 4.x). Any other value is "unknown": the header is written by
 * whoever can produce to the topic, and each distinct value would be a new series.
 */
const STAGES: ReadonlySet<string> = new Set([
  'TASK_POLL',
  'TASK_PUT',
  'TRANSFORMATION',
  'KEY_CONVERTER',
  'VALUE_CONVERTER',
  'HEADER_CONVERTER',
  'KAFKA_PRODUCE',
  'KAFKA_CONSUME',
]);

export const UNKNOWN = 'unknown';
export const OTHER = 'other';

const PREFIX = '__connect.errors.';
export const HEADER = {
  topic: `${PREFIX}topic`,
  partition: `${PREFIX}partition`,
  offset: `${PREFIX}offset`,
  connector: `${PREFIX}connector.name`,
  task: `${PREFIX}task.id`,
  stage: `${PREFIX}stage`,
  executingClass: `${PREFIX}class.name`,
  exceptionClass: `${PREFIX}exception.class.name`,
  exceptionMessage: `${PREFIX}exception.message`,
  stacktrace: `${PREFIX}exception.stacktrace`,
} as const;

export type HeaderValue = Buffer | string | null | undefined | readonly (Buffer | string | null)[];
export type Headers = Readonly<Record<string, HeaderValue>>;

export interface DlqRecordIn {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Epoch ms as Kafka stores it (for Connect's DLQ: the original record's timestamp). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

export interface ErrantContext {
  /** Any `__connect.errors.*` header was present. */
  readonly hasContext: boolean;
  /** A Stage name, or "unknown". */
  readonly stage: string;
  /** Java class name of the exception, or "unknown". */
  readonly exceptionClass: string;
  readonly exceptionMessage?: string;
  /** The class that was executing: the converter, the SMT, or SinkTask for TASK_PUT. */
  readonly executingClass?: string;
  readonly connector?: string;
  readonly taskId?: number;
  /** Where the failed record was consumed from. */
  readonly original?: { readonly topic: string; readonly partition?: number; readonly offset?: number };
  readonly stacktrace?: string;
}

const MESSAGE_LIMIT = 1024;
const STACKTRACE_LIMIT = 2048;
const decoder = new TextDecoder('utf-8', { fatal: true });
const JAVA_CLASS = /^[\p{L}_$][\p{L}\p{N}_$]*(?:\.[\p{L}_$][\p{L}\p{N}_$]*)*$/u;

/** The last value of a header as text; undefined when absent, null or not UTF-8. */
export function headerText(headers: Headers, name: string): string | undefined {
  let v = headers[name];
  if (Array.isArray(v)) v = v[v.length - 1] as Buffer | string | null | undefined;
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  try {
    return decoder.decode(v as Buffer);
  } catch {
    return undefined;
  }
}

function int(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d{1,19}$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

export function cut(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

export function parseContext(headers: Headers): ErrantContext {
  const hasContext = Object.keys(headers).some((k) => k.startsWith(PREFIX));
  if (!hasContext) return { hasContext: false, stage: UNKNOWN, exceptionClass: UNKNOWN };
  const stageText = headerText(headers, HEADER.stage)?.trim();
  const classText = headerText(headers, HEADER.exceptionClass)?.trim();
  const message = headerText(headers, HEADER.exceptionMessage);
  const executing = headerText(headers, HEADER.executingClass)?.trim();
  const connector = headerText(headers, HEADER.connector);
  const taskId = int(headerText(headers, HEADER.task));
  const topic = headerText(headers, HEADER.topic);
  const partition = int(headerText(headers, HEADER.partition));
  const offset = int(headerText(headers, HEADER.offset));
  const trace = headerText(headers, HEADER.stacktrace);
  return {
    hasContext: true,
    stage: stageText !== undefined && STAGES.has(stageText) ? stageText : UNKNOWN,
    exceptionClass: classText && classText.length <= 256 && JAVA_CLASS.test(classText) ? classText : UNKNOWN,
    ...(message !== undefined ? { exceptionMessage: cut(message, MESSAGE_LIMIT) } : {}),
    ...(executing && JAVA_CLASS.test(executing) ? { executingClass: executing } : {}),
    ...(connector ? { connector } : {}),
    ...(taskId !== undefined ? { taskId } : {}),
    ...(topic !== undefined
      ? {
          original: {
            topic,
            ...(partition !== undefined ? { partition } : {}),
            ...(offset !== undefined ? { offset } : {}),
          },
        }
      : {}),
    ...(trace !== undefined ? { stacktrace: cut(trace, STACKTRACE_LIMIT) } : {}),
  };
}

/** Bytes for /api/v1/dlq: UTF-8 text when the bytes are UTF-8, else base64; cut to `limit` bytes first. */
export function payloadJson(
  bytes: Buffer | null,
  limit: number,
): { text: string; encoding: 'utf8' | 'base64'; truncated: boolean } | null {
  if (bytes === null) return null;
  const truncated = bytes.length > limit;
  let part = truncated ? bytes.subarray(0, limit) : bytes;
  try {
    return { text: decoder.decode(part), encoding: 'utf8', truncated };
  } catch {
    // A cut in the middle of a multi-byte character is still text: drop the partial character.
    if (truncated) {
      for (let back = 1; back <= 3 && part.length > 0; back++) {
        part = bytes.subarray(0, limit - back);
        try {
          return { text: decoder.decode(part), encoding: 'utf8', truncated };
        } catch {
          // keep trimming
        }
      }
    }
    return {
      text: (truncated ? bytes.subarray(0, limit) : bytes).toString('base64'),
      encoding: 'base64',
      truncated,
    };
  }
}
