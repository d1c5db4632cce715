/** A token bucket: holds at most `burst` tokens and gains one every `intervalMs`; times are epoch ms. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly burst: number,
    readonly intervalMs: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** Takes a token if there is one. */
  take(now: number): boolean {
    this.fill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Gives back a token taken for something that turned out not to count. */
  giveBack(now: number): void {
    this.fill(now);
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /** Milliseconds until a token is there (0: one is there now). */
  waitMs(now: number): number {
    this.fill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) * this.intervalMs);
  }

  /** Full again: the same as a bucket never used. */
  full(now: number): boolean {
    this.fill(now);
    return this.tokens >= this.burst;
  }

  private fill(now: number): void {
    // A clock stepping back must not mint tokens.
    const elapsed = Math.max(0, now - this.at);
    this.tokens = Math.min(this.burst, this.tokens + elapsed / this.intervalMs);
    this.at = Math.max(this.at, now);
  }
}
