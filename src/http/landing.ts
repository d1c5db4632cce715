/** `GET /`: a page of links to the endpoints, for a person who opens the sidecar's address in a browser. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

export function landingPage(paths: readonly string[]): Buffer {
  // Relative links, so the page works behind a proxy that serves the sidecar under a prefix.
  const links = paths.map((p) => `<li><a href="${escape(p.slice(1))}">${escape(p)}</a></li>`).join('');
  return Buffer.from(
    `<!doctype html><html><head><meta charset="utf-8"><title>connect-sentinel</title></head><body><h1>connect-sentinel</h1><p>Kafka Connect monitoring sidecar.</p><ul>${links}</ul></body></html>`,
  );
}
