/**
 * Credentials taken out of text a server sent back. Error bodies end up in logs and in /api/v1/status, and
 * a proxy that echoes the request headers puts the Authorization header in its error page.
 */

const REDACTED = '[redacted]';
/** `Basic <base64>` and `Bearer <token>` (RFC 6750 token68 characters) wherever they appear. */
const AUTH_VALUE = /\b(basic|bearer)(\s+)([A-Za-z0-9._~+/-]+=*)/gi;
/** Tokens seen last, e.g. across rotations of a bearer token file; older ones are forgotten. */
const MAX_SECRETS = 16;
/** A cut-off secret is removed from the end of a cut text once this many of its characters show. */
const MIN_PARTIAL = 3;

export class Redactor {
  /** Every form a secret may take in the text: as sent, and escaped inside a JSON string. */
  private readonly forms = new Map<string, string[]>();

  /** Adds a secret (a password, a token); empty strings are ignored. */
  add(secret: string): void {
    if (secret === '' || this.forms.has(secret)) return;
    const escaped = JSON.stringify(secret).slice(1, -1);
    this.forms.set(secret, escaped === secret ? [secret] : [secret, escaped]);
    if (this.forms.size > MAX_SECRETS) {
      const oldest = this.forms.keys().next().value as string;
      this.forms.delete(oldest);
    }
  }

  /**
   * `text` without authorization values and without the secrets added. `cut`: the text is the beginning
   * of something longer, so a secret it ends in the middle of is removed too.
   */
  redact(text: string, cut = false): string {
    let out = text.replace(AUTH_VALUE, (all, scheme: string, space: string, value: string) =>
      looksLikeCredential(value) ? `${scheme}${space}${REDACTED}` : all,
    );
    // Longest first, so that a secret containing another is replaced whole.
    const all = [...this.forms.values()].flat().sort((a, b) => b.length - a.length);
    for (const s of all) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    if (cut) {
      for (const s of all) {
        for (let k = s.length - 1; k >= MIN_PARTIAL; k--) {
          if (out.endsWith(s.slice(0, k))) {
            out = out.slice(0, out.length - k) + REDACTED;
            break;
          }
        }
      }
    }
    return out;
  }
}

/**
 * Whether the word after "Basic"/"Bearer" is a credential rather than prose ("Basic authentication
 * required"): credentials are long and carry digits, symbols or capitals inside.
 */
function looksLikeCredential(value: string): boolean {
  return value.length >= 8 && (/[0-9._~+/=-]/.test(value) || /[A-Z]/.test(value.slice(1)));
}
