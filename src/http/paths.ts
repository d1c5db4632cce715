/** The fixed paths the HTTP surface serves, for the routes and the pages that link to them. */
export const STATUS_PATH = '/api/v1/status';
export const DLQ_PATH = '/api/v1/dlq';

/** What the status page's header links to, in order. */
export function pageLinks(telemetryPath: string): string[] {
  return [telemetryPath, STATUS_PATH, DLQ_PATH, '/healthz', '/readyz'];
}
