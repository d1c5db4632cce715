/**
 * A JSON endpoint's body (`{"clusters":[{...head,"connectors":[item,...]},...]}`) held as buffers made at
 * most once per publication: each cluster's items are serialized once, into one buffer with a view per
 * item. A request writes those buffers (the same objects for every request), choosing items by the
 * filters; nothing is serialized per request, so slow or stalled clients share the bytes instead of
 * holding a copy each. The pretty variant of a cluster is made on the first request that asks for it after
 * the cluster changed.
 */

export interface JsonItem {
  /** The connector the item is about: `?connector=` matches it. */
  readonly connector: string;
  /** The connector's state and its tasks' states: `?state=` matches any of them. */
  readonly states: readonly string[];
  /** Read once, when the cluster is set: a getter can build it then, inside the serialization's slices. */
  readonly value: unknown;
}

/** What a cluster contributes to a document: see JsonDocument.setCluster. */
export interface JsonSection {
  readonly head: Readonly<Record<string, unknown>>;
  readonly items?: readonly JsonItem[];
}

export interface JsonFilter {
  readonly clusters?: ReadonlySet<string>;
  readonly connectors?: ReadonlySet<string>;
  /** Upper case. */
  readonly states?: ReadonlySet<string>;
}

export interface JsonBody {
  /** Written in order; shared with every other request of the same publication. */
  readonly parts: readonly Buffer[];
  readonly length: number;
}

/** One cluster in one variant (compact or pretty). */
interface Layout {
  /** Without items: the whole cluster. With: its head up to `"connectors":[`. */
  readonly open: Buffer;
  readonly items?: {
    /** Every item, separated by commas. */
    readonly all: Buffer;
    /** Slices of `all`, one per item (separators excluded). */
    readonly views: readonly Buffer[];
    /** After one item or more, and after none. */
    readonly close: Buffer;
    readonly closeEmpty: Buffer;
  };
}

interface Cluster {
  /** The head's compact JSON, whence the pretty variant is made. */
  readonly head: string;
  /** Per item. */
  readonly connectors: readonly string[];
  readonly states: readonly (readonly string[])[];
  readonly compact: Layout;
  pretty: Layout | undefined;
}

const COMMA = Buffer.from(',');
const DOC = {
  compact: { open: Buffer.from('{"clusters":['), close: Buffer.from(']}'), closeEmpty: Buffer.from(']}') },
  pretty: {
    open: Buffer.from('{\n  "clusters": ['),
    close: Buffer.from('\n  ]\n}'),
    closeEmpty: Buffer.from(']\n}'),
  },
};
const COMPACT_CLOSE = Buffer.from(']}');
const PRETTY_CLOSE = Buffer.from('\n      ]\n    }');
const PRETTY_CLOSE_EMPTY = Buffer.from(']\n    }');
/** Indentation inside the document: a cluster is 4 deep, an item 8 (as JSON.stringify(doc, null, 2) has them). */
const CLUSTER_INDENT = '\n    ';
const ITEM_INDENT = '\n        ';

/** Texts joined by commas into one buffer, and a view of each text in it. */
function joined(texts: readonly string[]): { all: Buffer; views: Buffer[] } {
  let size = Math.max(0, texts.length - 1);
  const lengths = texts.map((t) => Buffer.byteLength(t));
  for (const n of lengths) size += n;
  const all = Buffer.allocUnsafe(size);
  const views: Buffer[] = [];
  let at = 0;
  texts.forEach((t, i) => {
    if (i > 0) all[at++] = 0x2c; // ,
    const n = lengths[i] as number;
    all.write(t, at);
    views.push(all.subarray(at, at + n));
    at += n;
  });
  return { all, views };
}

function compactLayout(head: string, items: readonly string[] | undefined): Layout {
  if (items === undefined) return { open: Buffer.from(head) };
  // The head without its closing brace, then the items' field.
  const opening = head === '{}' ? '{' : `${head.slice(0, -1)},`;
  return {
    open: Buffer.from(`${opening}"connectors":[`),
    items: { ...joined(items), close: COMPACT_CLOSE, closeEmpty: COMPACT_CLOSE },
  };
}

function prettyLayout(c: Cluster): Layout {
  // JSON strings hold no raw newline, so every newline is indentation.
  const indent = (v: unknown, by: string): string => JSON.stringify(v, null, 2).replace(/\n/g, by);
  const head = indent(JSON.parse(c.head), CLUSTER_INDENT);
  const items = c.compact.items;
  if (items === undefined) return { open: Buffer.from(CLUSTER_INDENT + head) };
  // Parsed back from the compact bytes rather than kept as objects: the values are not held between publications.
  const values = JSON.parse(`[${items.all.toString('utf8')}]`) as unknown[];
  const headOpen = head === '{}' ? '{' : `${head.slice(0, -CLUSTER_INDENT.length - 1)},`;
  return {
    open: Buffer.from(`${CLUSTER_INDENT}${headOpen}${CLUSTER_INDENT}  "connectors": [`),
    items: {
      ...joined(values.map((v) => ITEM_INDENT + indent(v, ITEM_INDENT))),
      close: PRETTY_CLOSE,
      closeEmpty: PRETTY_CLOSE_EMPTY,
    },
  };
}

/** Serializing is paused after a slice this long (ms), so a large cluster does not hold up scrapes. */
const SLICE_MS = 4;

/** Each item's JSON, yielding whenever a slice's time is up. */
function* serialize(items: readonly JsonItem[]): Generator<void, string[]> {
  const texts: string[] = [];
  let started = performance.now();
  for (const item of items) {
    texts.push(JSON.stringify(item.value) ?? 'null');
    if ((texts.length & 63) === 0 && performance.now() - started > SLICE_MS) {
      yield;
      started = performance.now();
    }
  }
  return texts;
}

export class JsonDocument {
  private order: readonly string[] = [];
  private readonly clusters = new Map<string, Cluster>();

  /** Which clusters the document has and in what order; a cluster no longer named is dropped. */
  setClusters(order: readonly string[]): void {
    this.order = [...order];
    for (const name of this.clusters.keys()) if (!order.includes(name)) this.clusters.delete(name);
  }

  /**
   * A cluster's content: its head (the fields before `connectors`), and its items in order. Without items
   * the cluster is written as its head alone (no `connectors` field).
   */
  setCluster(name: string, head: Readonly<Record<string, unknown>>, items?: readonly JsonItem[]): void {
    this.check(name, head);
    let texts: string[] | undefined;
    if (items) {
      const slices = serialize(items);
      let r = slices.next();
      while (!r.done) r = slices.next();
      texts = r.value;
    }
    this.install(name, head, items, texts);
  }

  /**
   * setCluster for large clusters: serializes the items in slices of a few milliseconds with `pause()` in
   * between (scrapes run meanwhile), then swaps the new content in at once. Updates of one cluster must not
   * overlap (the composition publishes a cluster's snapshots one at a time).
   */
  async setClusterAsync(
    name: string,
    head: Readonly<Record<string, unknown>>,
    items: readonly JsonItem[],
    pause: () => Promise<void>,
  ): Promise<void> {
    this.check(name, head);
    const slices = serialize(items);
    let r = slices.next();
    while (!r.done) {
      await pause();
      r = slices.next();
    }
    // Dropped from the document meanwhile: nothing to update.
    if (this.order.includes(name)) this.install(name, head, items, r.value);
  }

  private check(name: string, head: Readonly<Record<string, unknown>>): void {
    if (!this.order.includes(name)) {
      throw new Error(`cluster "${name}" is not one of this document's clusters (${this.order.join(', ')})`);
    }
    if (Object.hasOwn(head, 'connectors')) {
      throw new Error(`the head of cluster "${name}" has a "connectors" field; the items are its connectors`);
    }
  }

  private install(
    name: string,
    head: Readonly<Record<string, unknown>>,
    items: readonly JsonItem[] | undefined,
    texts: readonly string[] | undefined,
  ): void {
    const headJson = JSON.stringify(head);
    this.clusters.set(name, {
      head: headJson,
      connectors: items?.map((i) => i.connector) ?? [],
      states: items?.map((i) => i.states) ?? [],
      compact: compactLayout(headJson, texts),
      pretty: undefined,
    });
  }

  /** The body for a request: every cluster and item the filter lets through. */
  body(filter: JsonFilter, pretty: boolean): JsonBody {
    const doc = pretty ? DOC.pretty : DOC.compact;
    const parts: Buffer[] = [doc.open];
    let written = 0;
    const itemFilter = filter.connectors !== undefined || filter.states !== undefined;
    for (const name of this.order) {
      if (filter.clusters && !filter.clusters.has(name)) continue;
      const c = this.clusters.get(name);
      if (!c) continue;
      if (written++ > 0) parts.push(COMMA);
      const l = pretty ? (c.pretty ??= prettyLayout(c)) : c.compact;
      parts.push(l.open);
      const items = l.items;
      if (items === undefined) continue;
      let n = 0;
      if (!itemFilter) {
        if (items.views.length > 0) parts.push(items.all);
        n = items.views.length;
      } else {
        items.views.forEach((view, i) => {
          if (!this.matches(c, i, filter)) return;
          if (n++ > 0) parts.push(COMMA);
          parts.push(view);
        });
      }
      parts.push(n > 0 ? items.close : items.closeEmpty);
    }
    parts.push(written > 0 ? doc.close : doc.closeEmpty);
    let length = 0;
    for (const p of parts) length += p.length;
    return { parts, length };
  }

  private matches(c: Cluster, i: number, filter: JsonFilter): boolean {
    if (filter.connectors && !filter.connectors.has(c.connectors[i] as string)) return false;
    const states = filter.states;
    return !states || (c.states[i] as readonly string[]).some((s) => states.has(s.toUpperCase()));
  }
}
