/**
 * HTML made by a tagged template that escapes every interpolated value unless it is already Html: a
 * connector name, trace or error text can only reach a page as text, never as markup.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as it may stand in an element or a quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** Markup that is safe as it is: made by `markup`, or a constant of this program. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What an interpolation may be: text and numbers are escaped, Html is kept, nothing renders as nothing. */
export type HtmlValue = string | number | Html | readonly Html[] | null | undefined | false;

function part(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map((h: Html) => h.text).join('');
  return escapeHtml(String(v));
}

export function markup(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + (strings[i + 1] as string);
  return new Html(out);
}

/** A link's target built from a path and query parameters, each value percent-encoded. */
export function href(path: string, params: Readonly<Record<string, string | true>> = {}): string {
  const query = Object.entries(params)
    .map(([k, v]) => (v === true ? k : `${k}=${encodeURIComponent(v)}`))
    .join('&');
  return query === '' ? path : `${path}?${query}`;
}
