/**
 * Where docs/runbook.md is read from, one section per alert. The shipped alert rules and the status page
 * link to the same sections, so both start from this one default.
 */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/connect-sentinel/connect-sentinel/blob/main';

/** `<base>/docs/runbook.md#<alert lowercased>`: the anchor a Markdown renderer gives the alert's heading. */
export function runbookUrl(base: string, alert: string): string {
  return `${base.replace(/\/+$/, '')}/docs/runbook.md#${alert.toLowerCase()}`;
}
