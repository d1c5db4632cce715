/**
 * The status page (`GET /`) held as buffers: a head and a foot made once, and one section per cluster made
 * at most once per publication of that cluster. A request writes the same buffer objects as every other request;
 * nothing is rendered per request.
 */
import { escapeHtml } from './html.js';
import type { JsonBody } from './json-document.js';

export interface PageShellOptions {
  /** Paths the header links to, absolute (`/metrics`); linked relatively. */
  readonly links: readonly string[];
  /** How often the page reloads itself (meta refresh: no script needed). */
  readonly refreshSeconds: number;
  readonly version: string;
}

const STYLE = `
:root{color-scheme:light dark;--bad:#c62828;--warn:#b26a00;--ok:#2e7d32;--muted:#6b7280;--line:#d1d5db;--card:#f9fafb}
@media (prefers-color-scheme:dark){:root{--bad:#ef5350;--warn:#ffb74d;--ok:#66bb6a;--muted:#9ca3af;--line:#374151;--card:#111827}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1360px;padding:0 20px 40px}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 20px;border-bottom:1px solid var(--line);padding:12px 0}
h1{font-size:20px;margin:0}nav a{margin-right:12px}header p{margin:0}
h2{font-size:18px;margin:24px 0 4px}h3{font-size:15px;margin:18px 0 6px}h4{font-size:14px;margin:0 0 6px;word-break:break-all}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-all;max-height:420px;overflow:auto;border-left:3px solid var(--line);padding:4px 8px;margin:4px 0}
.muted,.meta{color:var(--muted)}.meta{font-weight:normal}
.pill,.state{display:inline-block;border-radius:9px;padding:0 8px;font-size:12px;font-weight:600;border:1px solid currentColor;vertical-align:1px}
.pill.ok,.s-RUNNING{color:var(--ok)}.pill.bad,.s-FAILED{color:var(--bad)}.pill.warn,.s-UNASSIGNED,.s-RESTARTING,.s-OTHER{color:var(--warn)}
.pill.muted,.s-PAUSED,.s-STOPPED{color:var(--muted)}
.banner{border-left:4px solid var(--bad);padding:4px 10px;margin:6px 0}
table{border-collapse:collapse;margin:6px 0}th,td{border-bottom:1px solid var(--line);padding:3px 10px;text-align:left}
.counts td{text-align:right;min-width:70px}.counts .zero{color:var(--muted)}.counts .n-FAILED{color:var(--bad);font-weight:700}
.counts .n-UNASSIGNED{color:var(--warn);font-weight:700}.num{text-align:right}
.connectors td:first-child{word-break:break-all}
.card{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--warn);border-radius:4px;padding:8px 12px;margin:8px 0}
.card.rank-0{border-left-color:var(--bad)}
.findings{margin:0;padding-left:18px}.findings>li{margin:3px 0}.findings li.bad>b{color:var(--bad)}.findings li.warn>b{color:var(--warn)}
.reasons{margin:2px 0;padding-left:18px}.latest{margin:2px 0}
details.trace summary{cursor:pointer}.cause{color:var(--muted)}
.ok-text{color:var(--ok)}.runbook{font-size:12px}
`;

function shell(o: PageShellOptions, refresh: boolean): Buffer {
  const links = o.links.map((p) => `<a href="${escapeHtml(p.slice(1))}">${escapeHtml(p)}</a>`).join('');
  const refreshLine = refresh
    ? `Refreshes every ${o.refreshSeconds} s · <a href="?refresh=off">stop refreshing</a>`
    : `Not refreshing · <a href=".">refresh every ${o.refreshSeconds} s</a>`;
  return Buffer.from(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width,initial-scale=1">' +
      (refresh ? `<meta http-equiv="refresh" content="${o.refreshSeconds}">` : '') +
      `<title>connect-sentinel</title><style>${STYLE}</style></head><body>` +
      `<header><h1>connect-sentinel</h1><nav>${links}</nav><p class="muted">${refreshLine}</p></header><main>\n`,
  );
}

export class PageDocument {
  private readonly heads: { readonly refresh: Buffer; readonly still: Buffer };
  private readonly foot: Buffer;
  private order: readonly string[] = [];
  private readonly clusters = new Map<string, Buffer>();

  constructor(readonly options: PageShellOptions) {
    this.heads = { refresh: shell(options, true), still: shell(options, false) };
    this.foot = Buffer.from(
      `</main><footer class="muted"><p>connect-sentinel ${escapeHtml(options.version)} · made from each poll, not per request · times in UTC</p></footer></body></html>\n`,
    );
  }

  /** Which clusters the page has and in what order; a cluster no longer named is dropped. */
  setClusters(order: readonly string[]): void {
    this.order = [...order];
    for (const name of this.clusters.keys()) if (!order.includes(name)) this.clusters.delete(name);
  }

  /** A cluster's section, as made by clusterSection. */
  setCluster(name: string, section: string): void {
    if (!this.order.includes(name)) {
      throw new Error(`cluster "${name}" is not one of this page's clusters (${this.order.join(', ')})`);
    }
    this.clusters.set(name, Buffer.from(section));
  }

  /** The page: the same buffers for every request until a cluster's next publication. */
  body(refresh: boolean): JsonBody {
    const parts = [refresh ? this.heads.refresh : this.heads.still];
    for (const name of this.order) {
      const section = this.clusters.get(name);
      if (section) parts.push(section);
    }
    parts.push(this.foot);
    let length = 0;
    for (const p of parts) length += p.length;
    return { parts, length };
  }
}
