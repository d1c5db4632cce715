/**
 * A streamed JSON body cut into the members of its top-level object while it arrives, so that a body of
 * many megabytes is never held, decoded or parsed whole: each member's name and value are handed over as
 * soon as the member's last byte is in. Any other top-level value (an array, a string…) is collected and
 * parsed whole at the end. Nesting deeper than `maxDepth` fails the body before anything that deep is
 * parsed: JSON.parse of ten megabytes of `[` takes over a gigabyte.
 *
 * Members are found with Buffer.indexOf where a compact layout makes that safe (takeMembers), otherwise by
 * a byte scanner that tracks strings and brackets (scan). Every byte of a multi-byte UTF-8 sequence is
 * ≥ 0x80, so none looks like JSON punctuation, and a member's bytes are joined before they are decoded, so
 * a character split between chunks decodes whole.
 *
 * Members come in body order; a name that occurs twice is handed over twice. The top-level object's own
 * syntax (separators, the closing brace, what follows it) is checked here, each member's by JSON.parse.
 */

/** Why a body was refused: not JSON, or nested deeper than allowed. */
export class JsonBodyError extends Error {
  override readonly name = 'JsonBodyError';
  constructor(
    readonly kind: 'syntax' | 'depth',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface MemberSink {
  /**
   * Optional shortcut: `buf[from, to)` is, byte for byte, a value this sink was handed whole before under
   * `name` (so it is valid JSON). Returning true takes the member as it is: it is neither parsed nor
   * handed to `member`.
   */
  known?(name: string, buf: Buffer, from: number, to: number): boolean;
  /** One member: its name, its parsed value, and the value's bytes `buf[from, to)`. May throw to stop. */
  member(name: string, value: unknown, buf: Buffer, from: number, to: number): void;
}

export type JsonBodyEnd =
  | { readonly kind: 'object'; readonly members: number }
  /** The top-level value was not an object: parsed whole. */
  | { readonly kind: 'value'; readonly value: unknown };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
/** Where one member of a compact object of objects ends and the next one's name begins. */
const BOUNDARY = Buffer.from('}},"');
/** 1 for the bytes that matter outside strings. */
const STRUCTURAL = new Uint8Array(256);
for (const c of [QUOTE, COMMA, COLON, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET])
  STRUCTURAL[c] = 1;

const START = 0; // only whitespace so far
const MEMBERS = 1; // inside the top-level object
const AFTER = 2; // after its closing brace: only whitespace may follow
const VALUE = 3; // not an object: collected, parsed at the end
const FAILED = 4;

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function describe(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

function tooDeep(maxDepth: number, at: number): JsonBodyError {
  return new JsonBodyError('depth', `nested deeper than ${maxDepth} levels at byte ${at}`);
}

/**
 * True when the value in `buf[from, to)` cannot nest deeper than `limit`: it holds at most `limit`
 * opening brackets. Counted with the native indexOf, which is much cheaper than a byte loop in JavaScript;
 * brackets inside strings count too, so a false answer only means "scan it exactly".
 */
function fewBrackets(buf: Buffer, from: number, to: number, limit: number): boolean {
  // Searched within the value only: past its end, a chunk of small members without brackets would be
  // searched to its end once per member.
  const value = buf.subarray(from, to);
  let n = 0;
  for (const b of [OPEN_BRACE, OPEN_BRACKET]) {
    for (let k = value.indexOf(b); k >= 0; k = value.indexOf(b, k + 1)) {
      if (++n > limit) return false;
    }
  }
  return true;
}

/**
 * The deepest nesting of the JSON text in `bytes` (0 for a scalar), or -1 once it exceeds `limit`. Exact for
 * valid JSON; for anything else some number that JSON.parse will refuse anyway.
 */
export function nestingDepth(bytes: Buffer, limit: number): number {
  let depth = 0;
  let max = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number;
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const s = bytes[i] as number;
        if (s === QUOTE) break;
        if (s === BACKSLASH) i++;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return -1;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return max;
}

/** JSON.parse of UTF-8 bytes, refusing text nested deeper than `maxDepth` before parsing it. */
export function parseJson(bytes: Buffer, maxDepth: number): unknown {
  if (nestingDepth(bytes, maxDepth) < 0) {
    throw new JsonBodyError('depth', `nested deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new JsonBodyError('syntax', (err as Error).message, { cause: err });
  }
}

export class JsonMemberSplitter {
  private mode = START;
  /** VALUE: the whole body so far. */
  private collected: Buffer[] = [];
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
  /** Members so far: `{}` is an empty object, `{"a":1,}` is not JSON. */
  private members = 0;
  /** Bytes in the chunks before the current one. */
  private offset = 0;
  private error: unknown;

  constructor(
    private readonly sink: MemberSink,
    private readonly opts: { readonly maxDepth: number },
  ) {
    if (!Number.isInteger(opts.maxDepth) || opts.maxDepth < 1) {
      throw new RangeError(`maxDepth must be a positive integer, got ${opts.maxDepth}`);
    }
  }

  /** Hands over the members this chunk completes; throws (JsonBodyError, or what the sink threw) at once. */
  push(chunk: Buffer): void {
    if (this.mode === FAILED) throw this.error;
    const n = chunk.length;
    if (n === 0) return;
    try {
      if (this.mode === START) {
        let i = 0;
        while (i < n && isJsonSpace(chunk[i] as number)) i++;
        if (i < n && chunk[i] === OPEN_BRACE) {
          this.mode = MEMBERS;
          this.takeMembers(chunk, i + 1);
        } else if (i < n) {
          this.mode = VALUE;
          this.collected.push(chunk);
        }
      } else if (this.mode === MEMBERS) {
        let i = 0;
        if (this.scanning) i = this.scan(chunk, 0);
        if (i >= 0) this.takeMembers(chunk, i);
      } else if (this.mode === AFTER) {
        this.trailing(chunk, 0);
      } else {
        this.collected.push(chunk);
      }
    } catch (err) {
      this.mode = FAILED;
      this.error = err;
      this.pieces.length = 0;
      this.collected = [];
      throw err;
    }
    this.offset += n;
  }

  /** The body is complete. */
  end(): JsonBodyEnd {
    if (this.mode === FAILED) throw this.error;
    if (this.mode === AFTER) return { kind: 'object', members: this.members };
    if (this.mode === VALUE) {
      const bytes = Buffer.concat(this.collected);
      this.collected = [];
      return { kind: 'value', value: parseJson(bytes, this.opts.maxDepth) };
    }
    const inside = this.mode === MEMBERS;
    this.mode = FAILED;
    this.error = new JsonBodyError(
      'syntax',
      inside ? `the body ends at byte ${this.offset}, inside the top-level object` : 'the body is empty',
    );
    throw this.error;
  }

  private syntax(what: string, at: number): JsonBodyError {
    return new JsonBodyError('syntax', `${what} at byte ${this.offset + at}`);
  }

  /**
   * The members from `i` (where one begins) on. In a compact object of objects a member's value ends with
   * `}}`: where `}},"` occurs, the comma most likely ends a member. When the text up to that comma is one
   * name and one value (a value the sink knows, or one that parses), it is that member: a cut inside a
   * member leaves a bracket or a string open (a number or literal holds no comma), so it cannot parse.
   * Anything else (no such comma, a false one inside a string, another layout, a syntax error, a member
   * running into the next chunk, many brackets) goes to the byte scanner, which finds the end exactly.
   */
  private takeMembers(buf: Buffer, i: number): void {
    const n = buf.length;
    let next = -2; // the next candidate comma; -1: none up to the end of this chunk
    let refused = -1; // a candidate the quick path refused: the scanner goes past it
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
    let name: unknown;
    try {
      name = JSON.parse(buf.toString('utf8', q, close + 1));
    } catch {
      return false;
    }
    if (typeof name !== 'string') return false;
    if (this.sink.known?.(name, buf, colon + 1, end) === true) {
      this.members++;
      return true;
    }
    // Nesting: the value sits one level below the top-level object.
    if (!fewBrackets(buf, colon + 1, end, this.opts.maxDepth - 1)) return false;
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8', colon + 1, end));
    } catch {
      return false;
    }
    this.members++;
    this.sink.member(name, value, buf, colon + 1, end);
    return true;
  }

  /**
   * Walks the bytes from `from`, tracking strings (with backslash escapes) and the nesting of the member's
   * value, to the comma that ends the member (returns the index after it) or the brace that closes the
   * top-level object or the end of the chunk (returns -1). Throws on what cannot be JSON.
   */
  private scan(buf: Buffer, from: number): number {
    const n = buf.length;
    const limit = this.opts.maxDepth - 1;
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
        if (++depth > limit) throw tooDeep(this.opts.maxDepth, this.offset + i);
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        // A mismatched pair inside a member fails when the member is parsed.
        if (depth > 0) {
          depth--;
        } else if (c === CLOSE_BRACKET) {
          throw this.syntax(`Unexpected ']' where the top-level object should close`, i);
        } else {
          this.member(buf, start, i, true);
          this.mode = AFTER;
          this.trailing(buf, i + 1);
          return -1;
        }
      } else if (depth > 0) {
        // A comma or a colon inside the member's value.
      } else if (c === COMMA) {
        this.member(buf, start, i, false);
        return i + 1;
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
      if (!isJsonSpace(c)) throw this.syntax(`Unexpected ${describe(c)} after the top-level object`, i);
    }
  }

  /** The member the scanner found: it ends at `end` (a comma, or the closing brace when `closing`). */
  private member(buf: Buffer, start: number, end: number, closing: boolean): void {
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
    if (this.colon < 0) {
      let k = from;
      while (k < to && isJsonSpace(bytes[k] as number)) k++;
      // `{}` is an empty object; `{,}`, `{"a":1,}` and a name without a value are not JSON.
      if (k === to && closing && this.members === 0) return;
      throw this.syntax(
        k === to ? `Expected a member before ${closing ? "'}'" : "','"}` : `Expected ':'`,
        end,
      );
    }
    const colon = from + (this.colon - this.memberBegin);
    let name: unknown;
    try {
      name = JSON.parse(bytes.toString('utf8', from, colon));
    } catch (err) {
      throw new JsonBodyError(
        'syntax',
        `bad member name at byte ${this.memberBegin}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (typeof name !== 'string') {
      throw new JsonBodyError('syntax', `member name at byte ${this.memberBegin} is not a string`);
    }
    this.members++;
    if (this.sink.known?.(name, bytes, colon + 1, to) === true) return;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8', colon + 1, to));
    } catch (err) {
      throw new JsonBodyError(
        'syntax',
        `bad value of member ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)} at byte ` +
          `${this.memberBegin}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.sink.member(name, value, bytes, colon + 1, to);
  }
}
