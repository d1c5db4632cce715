/**
 * Whether a client takes gzip, from its Accept-Encoding header (RFC 9110 §12.5.3): codings are
 * case-insensitive, `q=0` means "not acceptable", `*` stands for every coding not named, and `identity` is
 * acceptable unless excluded. Gzip is chosen when acceptable, unless identity is given a higher weight.
 */

/** A qvalue: 0 to 1 with at most three decimals; undefined when malformed. */
function qvalue(text: string): number | undefined {
  return /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(text) ? Number(text) : undefined;
}

export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  let gzip: number | undefined;
  let identity: number | undefined;
  let any: number | undefined;
  for (const element of header.split(',')) {
    const [coding = '', ...params] = element.split(';').map((s) => s.trim());
    if (coding === '') continue;
    let q = 1;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const v = qvalue(p.slice(eq + 1).trim());
      // A malformed weight makes the element meaningless rather than a guess either way.
      if (v === undefined) q = Number.NaN;
      else q = v;
    }
    if (Number.isNaN(q)) continue;
    const name = coding.toLowerCase();
    // The highest weight wins when a coding is named twice.
    if (name === 'gzip' || name === 'x-gzip') gzip = Math.max(gzip ?? 0, q);
    else if (name === 'identity') identity = Math.max(identity ?? 0, q);
    else if (name === '*') any = Math.max(any ?? 0, q);
  }
  const g = gzip ?? any ?? 0;
  // Identity unnamed is acceptable but not preferred: "deflate, gzip;q=0.8" asks for gzip.
  const i = identity ?? any ?? 0;
  return g > 0 && g >= i;
}
