/** Small helpers for bench figures. */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function summary(values: readonly number[]): {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
} {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), mean, max: s.at(-1) ?? NaN };
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
export const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
export const ratio = (v: number): string => `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}×`;

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Prints rows as an aligned table (first row is the header). */
export function table(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  for (const r of rows) console.log(`  ${r.map((cell, c) => cell.padStart(widths[c] ?? 0)).join('  ')}`);
}
