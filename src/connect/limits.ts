/**
 * Caps on what a Connect worker (or a proxy in front of it) can make connect-sentinel hold. Going over one
 * fails that call, and so that poll, with an error naming the cap; never the process.
 */
export interface ConnectLimits {
  /**
   * Bytes of one successful answer. The expanded list is the largest: about 1.1 KB per connector with 8
   * tasks, 5.6 MB at 5,000 connectors; its parse peaks at about 8× its size in memory.
   */
  readonly maxBodyBytes: number;
  /** Connectors in one list. */
  readonly maxConnectors: number;
  /** Characters of a connector's or task's stack trace that are kept; a longer one is cut with a marker. */
  readonly maxTraceChars: number;
  /** Nesting of any JSON answer (Connect's own answers nest 5 levels). */
  readonly maxJsonDepth: number;
}

export const CONNECT_LIMIT_DEFAULTS: ConnectLimits = {
  maxBodyBytes: 64 * 1024 * 1024,
  maxConnectors: 20_000,
  maxTraceChars: 16 * 1024,
  maxJsonDepth: 64,
};

/** The defaults with `overrides` applied; each must be a positive integer. */
export function connectLimits(overrides: Partial<ConnectLimits> = {}): ConnectLimits {
  const limits = { ...CONNECT_LIMIT_DEFAULTS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Connect limit ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  return limits;
}
