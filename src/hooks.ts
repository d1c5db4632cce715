/**
 * The optional stages wired around the core poll loop: Kafka readers, the restarter, notifications,
 * the web config. Each is added here as it lands so main.ts stays a short composition root.
 */
import type { SentinelHooks } from './app.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';

export async function defaultHooks(_config: Config, _logger: Logger): Promise<SentinelHooks> {
  return {};
}
