/**
 * The two ways to read `GET /connectors?expand=status&expand=info` that must agree: the whole body through
 * JSON.parse, then parseExpanded (parseNameList for a name array), and the ExpandedAnswerParser fed in
 * chunks. They agree as sets: the same connectors with the same views and the same incomplete names
 * (compared sorted by name), the same names for a name list, and an error (a ConnectResponseError) for the
 * same bodies. The order of the connectors and the text of the errors are not compared: nobody relies on
 * the first, and the second is checked where it matters, in the tests.
 */
import { ConnectResponseError } from '../../../src/connect/errors.js';
import { ExpandedAnswerParser, type ExpandedResult } from '../../../src/connect/expanded-stream.js';
import { parseExpanded, parseNameList } from '../../../src/connect/parse.js';
import type { ConnectorView } from '../../../src/connect/types.js';

export const EXPANDED_PATH = '/connectors?expand=status&expand=info';

export type Outcome =
  | {
      readonly ok:
        | { readonly kind: 'expanded'; readonly connectors: ConnectorView[]; readonly incomplete: string[] }
        | { readonly kind: 'names'; readonly names: string[] };
    }
  | { readonly error: string };

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The result as a set: sorted, a name list without duplicates. */
export function normalize(result: ExpandedResult): Outcome {
  if (result.kind === 'names') return { ok: { kind: 'names', names: [...new Set(result.names)].sort() } };
  return {
    ok: {
      kind: 'expanded',
      // By name, then by all fields: two members' entries may carry the same status name.
      connectors: [...result.answer.connectors].sort(
        (a, b) => byCodeUnits(a.name, b.name) || byCodeUnits(JSON.stringify(a), JSON.stringify(b)),
      ),
      incomplete: [...result.answer.incomplete].sort(byCodeUnits),
    },
  };
}

function caught(err: unknown): Outcome {
  // Anything but a ConnectResponseError is a bug: let it fail the test as it is.
  if (!(err instanceof ConnectResponseError)) throw err;
  return { error: err.name };
}

/** The whole body at once, as the client read it before it streamed. */
export function viaJsonParse(body: Buffer | string): Outcome {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    return { error: 'ConnectResponseError' };
  }
  try {
    const answer = parseExpanded(json, EXPANDED_PATH);
    if (answer !== undefined) return normalize({ kind: 'expanded', answer });
    return normalize({ kind: 'names', names: parseNameList(json, EXPANDED_PATH) });
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
  /** The result as the parser gave it (in its order), when it gave one. */
  readonly result?: ExpandedResult;
  /** Chunks pushed when the error was thrown (chunks.length + 1 if end() threw it). */
  readonly failedAfter?: number;
  readonly error?: ConnectResponseError;
}

export function viaStream(
  chunks: readonly Buffer[],
  previous?: ConstructorParameters<typeof ExpandedAnswerParser>[1],
  limits?: ConstructorParameters<typeof ExpandedAnswerParser>[2],
): Streamed {
  const parser = new ExpandedAnswerParser(EXPANDED_PATH, previous, limits);
  let pushed = 0;
  try {
    for (const chunk of chunks) {
      pushed++;
      parser.push(chunk);
    }
    pushed++;
    const result = parser.end();
    return { outcome: normalize(result), result };
  } catch (err) {
    return { outcome: caught(err), failedAfter: pushed, error: err as ConnectResponseError };
  }
}
