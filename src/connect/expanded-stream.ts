/**
 * `GET /connectors?expand=status&expand=info` parsed while it arrives: the answer is 5–6 MB at 5,000
 * connectors × 8 tasks, and `JSON.parse` of the whole body plus parseExpanded blocks the event loop for
 * ~100 ms and holds the body string and the whole raw object graph at once. This parser is fed the body's
 * chunks as the socket delivers them, cuts the top-level object into its members and turns each member
 * into a ConnectorView right away (JSON.parse of its name and of its value), so the work is spread over the
 * data events and each raw entry is garbage as soon as it is parsed. Members are found with Buffer.indexOf
 * where Connect's compact layout makes that safe (takeMembers), otherwise by a byte scanner that tracks
 * strings and brackets (scan); bytes ≥ 0x80 never look like ASCII punctuation in UTF-8, and a member's
 * bytes are joined before they are decoded, so a character split between chunks decodes whole.
 *
 * The result is what `parseExpanded(JSON.parse(body), path)` gives (then `parseNameList` for a name array):
 * the same connectors in the same order (array-index names first, ascending, then the others in order of
 * first appearance, as for…in does; a duplicate key keeps its first position and its last value, as
 * JSON.parse does), the same incomplete list and the same errors. A body that is not JSON fails with
 * ConnectResponseError `body is not JSON (<first 80 characters>…)` like ConnectClient.getJson, and it
 * fails as soon as the syntax error is seen (once the first HEAD_BYTES bytes, which make the message, are
 * in). Errors about a member's content (a status without a name…) are held until the body has ended: a
 * syntax error further on wins over them, as it does when the whole body goes through JSON.parse first.
 *
 * Intentional differences, neither visible in the error message:
 * - the `cause` of a "not JSON" error is the SyntaxError of the one member that failed (its positions count
 *   from the start of `{` + member + `}`, not of the body), or a SyntaxError this scanner made for what the
 *   members cannot see (separators, the closing bracket, trailing bytes, a cut-off body), not the message
 *   JSON.parse of the whole body would have given;
 * - a syntax error seen before the body is complete fails the call right away, where the old code first
 *   read the whole body (and so reported a connection cut or a timeout after the syntax error instead).
 *
 * A body whose first non-whitespace byte is not `{` (the name array of workers older than 2.3, or garbage)
 * is collected and parsed exactly as before.
 */
import { ConnectResponseError } from './errors.js';
import { parseEntry, parseExpanded, parseNameList, type ExpandedAnswer } from './parse.js';
import type { ConnectorView } from './types.js';

export type ExpandedResult =
  | { readonly kind: 'expanded'; readonly answer: ExpandedAnswer }
  /** The worker ignored `expand` (older than 2.3) and sent the plain name list. */
  | { readonly kind: 'names'; readonly names: string[] };

/** What ConnectClient.getJson throws for a body that is not JSON. */
export function notJsonError(path: string, body: string, cause?: unknown): ConnectResponseError {
  const cut = body.length > 80 ? `${body.slice(0, 80)}…` : body;
  return new ConnectResponseError(
    path,
    `body is not JSON (${JSON.stringify(cut)})`,
    cause === undefined ? undefined : { cause },
  );
}

// Bytes the scanner looks at. Every byte of a multi-byte UTF-8 sequence is ≥ 0x80, so none of them can be
// taken for one of these: scanning bytes instead of characters is safe.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
/** Where one entry of Connect's compact answer ends and the next one's name begins. */
const BOUNDARY = Buffer.from('}},"');
/** 1 for the bytes that matter outside strings. */
const STRUCTURAL = new Uint8Array(256);
for (const c of [QUOTE, COMMA, COLON, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET])
  STRUCTURAL[c] = 1;

/**
 * The error message shows the body's first 80 UTF-16 units. 400 bytes decode to at least 133 of them (a
 * UTF-8 sequence of n bytes gives at most one unit per byte and at least one per 3 bytes), so the first 80
 * are known, and the body is known to be longer than 80, once this many bytes are in.
 */
const HEAD_BYTES = 400;

const START = 0; // only whitespace so far
const MEMBERS = 1; // inside the top-level object
const AFTER = 2; // after its closing brace: only whitespace may follow
const FALLBACK = 3; // not an object: the body is collected and parsed whole
const FAILED = 4; // a syntax error was found

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Property keys that for…in lists first, in ascending numeric order: canonical integers 0 … 2³² − 2. */
function isArrayIndex(key: string): boolean {
  const n = key.length;
  if (n === 0 || n > 10) return false;
  const first = key.charCodeAt(0);
  if (first < 0x30 || first > 0x39 || (first === 0x30 && n > 1)) return false;
  for (let i = 1; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return Number(key) <= 4294967294;
}

function describe(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/**
 * A connector's entry as the previous answer had it: its bytes and the view they gave. The same bytes give
 * the same view, so an unchanged entry (most of them, poll after poll) is neither parsed nor allocated again.
 */
export interface RememberedEntry {
  readonly bytes: Buffer;
  readonly view: ConnectorView;
}

/** One connector name of the answer and what its (last) entry gave. */
interface Slot {
  readonly name: string;
  view: ConnectorView | undefined;
  thrown: boolean;
  error: unknown;
}

export class ExpandedAnswerParser {
  private mode = START;
  /** The body's first HEAD_BYTES bytes, for the error message. */
  private readonly head = Buffer.alloc(HEAD_BYTES);
  private headSize = 0;
  /** START: chunks of leading whitespace; FALLBACK: the whole body. */
  private pending: Buffer[] = [];
  /** The byte scanner is inside a member that began in an earlier chunk (its bytes are in `pieces`). */
  private scanning = false;
  private readonly pieces: Buffer[] = [];
  /** The scanner's nesting inside the current member's value: 0 is the top-level object itself. */
  private depth = 0;
  private inString = false;
  /** The last chunk ended with a backslash inside a string: the next byte is escaped. */
  private escaped = false;
  /** Where the scanner's member begins, and its first colon at nesting 0 (-1: none yet), as body offsets. */
  private memberBegin = 0;
  private colon = -1;
  /** Members parsed so far: `{}` is an empty object, `{"a":1,}` is not JSON. */
  private members = 0;
  /** Bytes in the chunks before the current one. */
  private offset = 0;
  private syntaxError: unknown;
  private error: ConnectResponseError | undefined;
  private readonly byName = new Map<string, Slot>();
  private readonly named: Slot[] = [];
  private readonly indexed: Slot[] = [];
  /** The entries of this answer that gave a view, for the next answer's parser. */
  readonly remembered = new Map<string, RememberedEntry>();

  /**
   * `path` as errors name it, e.g. `/connectors?expand=status&expand=info`; `previous` is the `remembered`
   * of the previous answer's parser.
   */
  constructor(
    private readonly path: string,
    private readonly previous: ReadonlyMap<string, RememberedEntry> = new Map(),
  ) {}

  /**
   * Parses the members this chunk completes. Throws the ConnectResponseError as soon as the body is known
   * not to be JSON (and its first HEAD_BYTES bytes are in).
   */
  push(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.headSize < HEAD_BYTES) {
      this.headSize += chunk.copy(this.head, this.headSize, 0, Math.min(n, HEAD_BYTES - this.headSize));
    }
    if (this.mode === START) {
      let i = 0;
      while (i < n && isJsonSpace(chunk[i] as number)) i++;
      if (i === n) {
        this.pending.push(chunk);
      } else if (chunk[i] === OPEN_BRACE) {
        this.mode = MEMBERS;
        this.pending = [];
        this.takeMembers(chunk, i + 1);
      } else {
        this.mode = FALLBACK;
        this.pending.push(chunk);
      }
    } else if (this.mode === MEMBERS) {
      let i = 0;
      if (this.scanning) i = this.scan(chunk, 0);
      if (i >= 0) this.takeMembers(chunk, i);
    } else if (this.mode === AFTER) {
      this.trailing(chunk, 0);
    } else if (this.mode === FALLBACK) {
      this.pending.push(chunk);
    }
    this.offset += n;
    if (this.mode === FAILED && this.headSize === HEAD_BYTES) throw this.failure();
  }

  /** The body is complete: the answer, or the error parseExpanded/parseNameList would have thrown. */
  end(): ExpandedResult {
    if (this.mode === MEMBERS) this.fail(new SyntaxError('Unexpected end of JSON input'));
    if (this.mode === FAILED) throw this.failure();
    if (this.mode === START || this.mode === FALLBACK) {
      const text = Buffer.concat(this.pending).toString('utf8');
      this.pending = [];
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw notJsonError(this.path, text, err);
      }
      const answer = parseExpanded(body, this.path);
      if (answer !== undefined) return { kind: 'expanded', answer };
      return { kind: 'names', names: parseNameList(body, this.path) };
    }
    // The order for…in gives: array-index keys ascending, then the rest in order of first appearance.
    this.indexed.sort((a, b) => Number(a.name) - Number(b.name));
    const connectors: ConnectorView[] = [];
    const incomplete: string[] = [];
    for (const slots of [this.indexed, this.named]) {
      for (const slot of slots) {
        if (slot.thrown) throw slot.error;
        if (slot.view === undefined) incomplete.push(slot.name);
        else connectors.push(slot.view);
      }
    }
    return { kind: 'expanded', answer: { connectors, incomplete } };
  }

  private failure(): ConnectResponseError {
    this.error ??= notJsonError(this.path, this.head.toString('utf8', 0, this.headSize), this.syntaxError);
    return this.error;
  }

  private fail(cause: unknown): void {
    this.mode = FAILED;
    this.syntaxError = cause;
    this.pieces.length = 0;
  }

  private unexpected(what: string, at: number): void {
    this.fail(new SyntaxError(`${what} at byte ${this.offset + at} of the answer`));
  }

  /**
   * The members from `i` (where one begins) on. Connect writes its answer compact, and an entry (an object
   * of objects) ends with `}}`: where `}},"` occurs, the comma most likely ends a member. When the text up
   * to that comma parses as one name and one value, it is that member: a cut inside a member leaves a
   * bracket or a string open (a number or literal holds no comma), so it cannot parse. Anything else (no
   * such comma, a false one inside a string, another layout, a syntax error, a member that runs into the
   * next chunk) goes to the byte scanner, which finds the member's end exactly.
   */
  private takeMembers(buf: Buffer, i: number): void {
    const n = buf.length;
    let next = -2; // the next candidate comma; -1: none up to the end of this chunk
    let refused = -1; // a candidate the quick parse refused: the scanner goes past it
    while (i < n) {
      if (next !== -1 && next < i) {
        const k = buf.indexOf(BOUNDARY, i);
        next = k < 0 ? -1 : k + 2;
      }
      if (next >= 0 && next !== refused) {
        if (this.quick(buf, i, next)) {
          i = next + 1;
          continue;
        }
        refused = next;
      }
      this.depth = 0;
      this.inString = false;
      this.colon = -1;
      this.memberBegin = this.offset + i;
      i = this.scan(buf, i);
      if (i < 0) return;
    }
  }

  /** The member `buf[start, end)` as one name and one value, or false to leave it to the scanner. */
  private quick(buf: Buffer, start: number, end: number): boolean {
    let q = start;
    while (q < end && isJsonSpace(buf[q] as number)) q++;
    if (buf[q] !== QUOTE) return false;
    // The name's closing quote: one that an odd run of backslashes does not escape.
    let close = q;
    for (;;) {
      close = buf.indexOf(QUOTE, close + 1);
      if (close < 0 || close >= end) return false;
      let b = close - 1;
      while (buf[b] === BACKSLASH) b--; // stops at the opening quote at the latest
      if (((close - 1 - b) & 1) === 0) break;
    }
    let colon = close + 1;
    while (colon < end && isJsonSpace(buf[colon] as number)) colon++;
    if (colon >= end || buf[colon] !== COLON) return false;
    // What JSON.parse of `{name:value}` checks, without a hidden class for every connector name.
    let name: unknown;
    try {
      name = JSON.parse(buf.toString('utf8', q, close + 1));
    } catch {
      return false;
    }
    if (typeof name !== 'string') return false;
    if (this.reuse(name, buf, colon + 1, end)) return true;
    let entry: unknown;
    try {
      entry = JSON.parse(buf.toString('utf8', colon + 1, end));
    } catch {
      return false;
    }
    this.members++;
    this.add(name, entry, buf, colon + 1, end);
    return true;
  }

  /**
   * Walks the bytes from `from`, tracking strings (with backslash escapes) and the nesting of the member's
   * value, to the comma that ends the member (returns the index after it) or the brace that closes the
   * top-level object, a syntax error or the end of the chunk (returns -1).
   */
  private scan(buf: Buffer, from: number): number {
    const n = buf.length;
    let depth = this.depth;
    let inString = this.inString;
    const start = from; // where the member's bytes in this chunk begin
    let i = from;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    this.scanning = false;
    while (i < n) {
      let c = 0;
      if (inString) {
        // Most of a member is string contents: a tight loop to the next quote or backslash.
        while (i < n) {
          c = buf[i] as number;
          if (c === QUOTE || c === BACKSLASH) break;
          i++;
        }
        if (i === n) break;
        if (c === QUOTE) {
          inString = false;
          i++;
        } else {
          // A backslash and the byte it escapes; a backslash ending the chunk escapes the next one's first.
          i += 2;
          if (i > n) this.escaped = true;
        }
        continue;
      }
      while (i < n) {
        c = buf[i] as number;
        if (STRUCTURAL[c] === 1) break;
        i++;
      }
      if (i === n) break;
      if (c === QUOTE) {
        inString = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        // A mismatched pair inside a member fails when the member is parsed.
        if (depth > 0) {
          depth--;
        } else if (c === CLOSE_BRACKET) {
          this.unexpected(`Unexpected ']' where the top-level object should close`, i);
          return -1;
        } else {
          if (!this.member(buf, start, i, true)) return -1;
          this.mode = AFTER;
          this.trailing(buf, i + 1);
          return -1;
        }
      } else if (depth > 0) {
        // A comma or a colon inside the member's value.
      } else if (c === COMMA) {
        return this.member(buf, start, i, false) ? i + 1 : -1;
      } else if (this.colon < 0) {
        this.colon = this.offset + i;
      }
      i++;
    }
    // The member goes on in the next chunk.
    if (start < n) this.pieces.push(start === 0 ? buf : buf.subarray(start));
    this.scanning = true;
    this.depth = depth;
    this.inString = inString;
    return -1;
  }

  /** After the top-level object only whitespace may follow. */
  private trailing(buf: Buffer, from: number): void {
    for (let i = from; i < buf.length; i++) {
      const c = buf[i] as number;
      if (!isJsonSpace(c)) {
        this.unexpected(`Unexpected ${describe(c)} after the top-level object`, i);
        return;
      }
    }
  }

  /** Parses the member the scanner found: it ends at `end` (a comma, or the closing brace when `closing`). */
  private member(buf: Buffer, start: number, end: number, closing: boolean): boolean {
    let bytes = buf;
    let from = start;
    let to = end;
    if (this.pieces.length > 0) {
      // Joined before decoding, so that a character split across chunks decodes whole.
      this.pieces.push(buf.subarray(start, end));
      bytes = Buffer.concat(this.pieces);
      this.pieces.length = 0;
      from = 0;
      to = bytes.length;
    }
    if (this.colon >= 0) {
      // Name and value parsed apart, as quick() does; a part that does not parse gets its error below.
      const colon = from + (this.colon - this.memberBegin);
      let name: unknown;
      let entry: unknown;
      try {
        name = JSON.parse(bytes.toString('utf8', from, colon));
        if (typeof name === 'string' && this.reuse(name, bytes, colon + 1, to)) return true;
        entry = JSON.parse(bytes.toString('utf8', colon + 1, to));
      } catch {
        name = undefined;
      }
      if (typeof name === 'string') {
        this.members++;
        this.add(name, entry, bytes, colon + 1, to);
        return true;
      }
    }
    // No colon at nesting 0 or a part that did not parse: JSON.parse of `{member}` gives the error (for
    // whitespace only, an empty object).
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(`{${bytes.toString('utf8', from, to)}}`) as Record<string, unknown>;
    } catch (err) {
      this.fail(err);
      return false;
    }
    const keys = Object.keys(obj);
    if (keys.length === 0) {
      // Only whitespace since the last separator: `{}` is fine, `{,}` and `{"a":1,}` are not.
      if (closing && this.members === 0) return true;
      this.unexpected(`Expected a member before ${closing ? "'}'" : "','"}`, end);
      return false;
    }
    // Not reached (a member that parses whole also parses in parts), but should it be: its members in order.
    this.members++;
    for (const name of keys) this.add(name, obj[name]);
    return true;
  }

  /**
   * The member `name` whose value is `buf[from, to)`, when the previous answer had the same bytes for it:
   * its view again, unparsed. Whitespace counts: bytes that differ only in layout are parsed anew.
   */
  private reuse(name: string, buf: Buffer, from: number, to: number): boolean {
    const before = this.previous.get(name);
    if (before === undefined || before.bytes.length !== to - from) return false;
    if (buf.compare(before.bytes, 0, before.bytes.length, from, to) !== 0) return false;
    this.members++;
    this.remembered.set(name, before);
    this.settle(name, before.view, false, undefined);
    return true;
  }

  private add(name: string, entry: unknown, buf?: Buffer, from = 0, to = 0): void {
    let view: ConnectorView | undefined;
    let thrown = false;
    let error: unknown;
    try {
      view = parseEntry(entry, this.path);
      if (view !== undefined && buf !== undefined) {
        // A copy of its own: a view into the socket's chunk would keep the whole chunk alive.
        const bytes = Buffer.allocUnsafeSlow(to - from);
        buf.copy(bytes, 0, from, to);
        this.remembered.set(name, { bytes, view });
      } else {
        this.remembered.delete(name);
      }
    } catch (err) {
      // Held until the end: for…in might reach another connector's error first, a later duplicate key
      // might replace this entry, and a syntax error further on wins.
      thrown = true;
      error = err;
      this.remembered.delete(name);
    }
    this.settle(name, view, thrown, error);
  }

  private settle(name: string, view: ConnectorView | undefined, thrown: boolean, error: unknown): void {
    const slot = this.byName.get(name);
    if (slot === undefined) {
      const fresh: Slot = { name, view, thrown, error };
      this.byName.set(name, fresh);
      (isArrayIndex(name) ? this.indexed : this.named).push(fresh);
    } else {
      slot.view = view;
      slot.thrown = thrown;
      slot.error = error;
    }
  }
}
