/**
 * `GET /connectors?expand=status&expand=info` read while it arrives. The answer is 5–6 MB at 5,000
 * connectors × 8 tasks; JSON.parse of it whole blocks the event loop for ~100 ms and holds the body and the
 * whole raw object graph at once. The splitter (src/lib/json-members.ts) hands over each member as soon as
 * it is complete, and it becomes a ConnectorView right away, so the work is spread over the data events
 * and each raw entry is garbage once parsed. An entry byte-identical to the previous answer's reuses its
 * view unparsed.
 *
 * The result is what `parseExpanded(JSON.parse(body))` gives (`parseNameList` for a name array) as a set:
 * the connectors come in the body's order, which nobody relies on (the poller sorts them). A name that
 * occurs twice keeps its last entry. An error about an entry's content is held until the body has ended,
 * since a later entry of the same name replaces it; a body that is not JSON or goes over a cap fails at
 * once.
 */
import { JsonBodyError, JsonMemberSplitter, type MemberSink } from '../lib/json-members.js';
import { ConnectResponseError, jsonBodyError } from './errors.js';
import type { BodyReader } from './http.js';
import { CONNECT_LIMIT_DEFAULTS, type ConnectLimits } from './limits.js';
import { parseEntry, parseExpanded, parseNameList, type ExpandedAnswer } from './parse.js';
import type { ConnectorView } from './types.js';

export type ExpandedResult =
  | { readonly kind: 'expanded'; readonly answer: ExpandedAnswer }
  /** The worker ignored `expand` (older than 2.3) and sent the plain name list (without duplicates). */
  | { readonly kind: 'names'; readonly names: string[] };

/**
 * A connector's entry as the previous answer had it: its bytes and the view they gave. The same bytes give
 * the same view, so an unchanged entry (most of them, poll after poll) is neither parsed nor allocated again.
 */
export interface RememberedEntry {
  readonly bytes: Buffer;
  readonly view: ConnectorView;
}

/**
 * Entries larger than this are parsed anew each poll rather than kept: a normal one is about 1 KB, and one
 * of megabytes (a worker sending a huge trace) would otherwise be held between polls.
 */
const REMEMBER_MAX_BYTES = 256 * 1024;

export type ExpandedLimits = Pick<ConnectLimits, 'maxConnectors' | 'maxJsonDepth' | 'maxTraceChars'>;

/** What one connector name of the answer gave (its last entry). */
type Slot = { view: ConnectorView | undefined; error?: never } | { view?: never; error: unknown };

export class ExpandedAnswerParser implements BodyReader<ExpandedResult>, MemberSink {
  /** The entries of this answer that gave a view, for the next answer's parser. */
  readonly remembered = new Map<string, RememberedEntry>();
  private readonly slots = new Map<string, Slot>();
  private readonly splitter: JsonMemberSplitter;

  /**
   * `path` as errors name it, e.g. `/connectors?expand=status&expand=info`; `previous` is the `remembered`
   * of the previous answer's parser.
   */
  constructor(
    private readonly path: string,
    private readonly previous: ReadonlyMap<string, RememberedEntry> = new Map(),
    private readonly limits: ExpandedLimits = CONNECT_LIMIT_DEFAULTS,
  ) {
    this.splitter = new JsonMemberSplitter(this, { maxDepth: limits.maxJsonDepth });
  }

  /** Turns the entries this chunk completes into views; throws as soon as the body cannot be used. */
  push(chunk: Buffer): void {
    try {
      this.splitter.push(chunk);
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** The body is complete: the answer, or the error the entries or the body gave. */
  end(): ExpandedResult {
    let end;
    try {
      end = this.splitter.end();
    } catch (err) {
      throw this.wrap(err);
    }
    if (end.kind === 'value') {
      const answer = parseExpanded(end.value, this.path, this.limits.maxTraceChars);
      if (answer !== undefined) return { kind: 'expanded', answer };
      const names = [...new Set(parseNameList(end.value, this.path))];
      if (names.length > this.limits.maxConnectors) throw this.tooMany();
      return { kind: 'names', names };
    }
    const connectors: ConnectorView[] = [];
    const incomplete: string[] = [];
    for (const [name, slot] of this.slots) {
      if (slot.error !== undefined) throw slot.error;
      if (slot.view === undefined) incomplete.push(name);
      else connectors.push(slot.view);
    }
    return { kind: 'expanded', answer: { connectors, incomplete } };
  }

  /** MemberSink: the previous answer had these very bytes for `name`. */
  known(name: string, buf: Buffer, from: number, to: number): boolean {
    const before = this.previous.get(name);
    if (before === undefined || before.bytes.length !== to - from) return false;
    if (buf.compare(before.bytes, 0, before.bytes.length, from, to) !== 0) return false;
    this.settle(name, { view: before.view });
    this.remembered.set(name, before);
    return true;
  }

  /** MemberSink: an entry to parse. */
  member(name: string, entry: unknown, buf: Buffer, from: number, to: number): void {
    let slot: Slot;
    try {
      slot = { view: parseEntry(entry, this.path, this.limits.maxTraceChars) };
    } catch (err) {
      slot = { error: err };
    }
    this.settle(name, slot);
    if (slot.view !== undefined && to - from <= REMEMBER_MAX_BYTES) {
      // A copy of its own: a view into the socket's chunk would keep the whole chunk alive.
      const bytes = Buffer.allocUnsafeSlow(to - from);
      buf.copy(bytes, 0, from, to);
      this.remembered.set(name, { bytes, view: slot.view });
    } else {
      this.remembered.delete(name);
    }
  }

  private settle(name: string, slot: Slot): void {
    if (!this.slots.has(name) && this.slots.size >= this.limits.maxConnectors) throw this.tooMany();
    this.slots.set(name, slot);
  }

  private tooMany(): ConnectResponseError {
    return new ConnectResponseError(
      this.path,
      `more than ${this.limits.maxConnectors} connectors (limit maxConnectors)`,
    );
  }

  private wrap(err: unknown): unknown {
    return err instanceof JsonBodyError ? jsonBodyError(this.path, err) : err;
  }
}
