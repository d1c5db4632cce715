/**
 * The two ways to read `GET /connectors?expand=status&expand=info` that must agree: what ConnectClient did
 * before it streamed (the whole body, JSON.parse, parseExpanded, then parseNameList for a name array; the
 * "not JSON" message copied from the old getJson) and the ExpandedAnswerParser fed in chunks.
 */
import { ConnectResponseError } from '../../../src/connect/errors.js';
import { ExpandedAnswerParser, type ExpandedResult } from '../../../src/connect/expanded-stream.js';
import { parseExpanded, parseNameList } from '../../../src/connect/parse.js';

export const EXPANDED_PATH = '/connectors?expand=status&expand=info';

export type Outcome =
  { readonly ok: ExpandedResult } | { readonly error: { readonly type: string; readonly message: string } };

function caught(err: unknown): Outcome {
  if (!(err instanceof Error)) throw err;
  return { error: { type: err.constructor.name, message: err.message } };
}

/** The old way, verbatim. */
export function viaJsonParse(body: Buffer | string): Outcome {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch (err) {
      const cut = text.length > 80 ? `${text.slice(0, 80)}…` : text;
      throw new ConnectResponseError(EXPANDED_PATH, `body is not JSON (${JSON.stringify(cut)})`, {
        cause: err,
      });
    }
    const answer = parseExpanded(json, EXPANDED_PATH);
    if (answer !== undefined) return { ok: { kind: 'expanded', answer } };
    return { ok: { kind: 'names', names: parseNameList(json, EXPANDED_PATH) } };
  } catch (err) {
    return caught(err);
  }
}

/** Byte positions where the body is cut into chunks (sorted, deduplicated, inside the body). */
export function chunksAt(body: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < body.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, body.length]) {
    // Copies, as the socket's chunks are distinct buffers.
    out.push(Buffer.from(body.subarray(from, p)));
    from = p;
  }
  return out;
}

export interface Streamed {
  readonly outcome: Outcome;
  /** Chunks pushed when the error was thrown (chunks.length + 1 if end() threw it). */
  readonly failedAfter?: number;
  readonly cause?: unknown;
}

export function viaStream(
  chunks: readonly Buffer[],
  previous?: ConstructorParameters<typeof ExpandedAnswerParser>[1],
): Streamed {
  const parser = new ExpandedAnswerParser(EXPANDED_PATH, previous);
  let pushed = 0;
  try {
    for (const chunk of chunks) {
      pushed++;
      parser.push(chunk);
    }
    pushed++;
    return { outcome: { ok: parser.end() } };
  } catch (err) {
    return { outcome: caught(err), failedAfter: pushed, cause: (err as Error).cause };
  }
}
