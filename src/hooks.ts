/**
 * The optional stages wired around the core poll loop: Kafka readers, the restarter, notifications,
 * the web config. Each is added here as it lands so main.ts stays a short composition root.
 */
import type { SentinelHooks } from './app.js';
import type { Config } from './config/schema.js';
import { WebConfigRuntime } from './http/web-config.js';
import { kafkaHooks } from './kafka/hooks.js';
import type { Logger } from './log.js';
import { Healing } from './restarter/healing.js';

export async function defaultHooks(config: Config, logger: Logger): Promise<SentinelHooks> {
  // Throws a WebConfigError naming every problem of the file, so a bad file stops the start.
  const web = config.web.configFile ? WebConfigRuntime.load(config.web.configFile, { logger }) : undefined;
  const healing = new Healing({ config, logger });
  const kafka = kafkaHooks();
  return {
    kafkaReader: kafka.kafkaReader,
    dlq: kafka.dlq,
    ...(healing.inactive ? {} : healing.hooks()),
    close: () => healing.close(),
    ...(web ? { webConfig: web } : {}),
  };
}
