/**
 * What the integration global setup hands to tests through `inject('stack')` (serializable only).
 * Importing this module (even `import type`) brings the `ProvidedContext` augmentation into scope.
 */
export interface StackWorkerInfo {
  /** REST base URL, e.g. http://127.0.0.1:40903 */
  url: string;
  /** Advertised host:port, as `worker_id` in the status API. */
  workerId: string;
  groupId: string;
  logFile: string;
}

export interface StackInfo {
  kafkaVersion: string;
  /** PLAINTEXT bootstrap host:port of the shared broker. */
  bootstrap: string;
  kafkaLogFile: string;
  /** The broker's log.dirs (to read log segments with Kafka's own tools). */
  kafkaDataDir: string;
  /** Temp dir holding every process's config, data and log. */
  baseDir: string;
  /** Connect group.id shared by all workers (one Connect cluster). */
  groupId: string;
  workers: StackWorkerInfo[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
