import { spawnSync } from 'node:child_process';

export const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

/** Runs `promtool check metrics` on text; returns its complaints (empty when clean). */
export function promtoolCheckMetrics(text: string): { ok: boolean; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) {
    throw new Error(
      `promtool not runnable (${r.error.message}); install it with: apt-get install prometheus`,
    );
  }
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}
