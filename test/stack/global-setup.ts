/**
 * vitest globalSetup of the "integration" project: ONE Kafka broker + TWO Connect workers (same group)
 * for the whole run, handed to tests via `inject('stack')`. Tests that stop/kill things must start
 * their own broker/worker (control.ts), never touch these.
 */
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { StackInfo } from './context.js';
import { startConnect, startKafka, stopAll } from './launcher.js';
import { SCENARIO_DIR_ENV } from './scenarios.js';

export async function setup(project: TestProject): Promise<void> {
  const t0 = Date.now();
  try {
    const kafka = await startKafka();
    const t1 = Date.now();
    const groupId = 'sentinel-it';
    const workers = await Promise.all([startConnect(kafka, { groupId }), startConnect(kafka, { groupId })]);
    const stack: StackInfo = {
      kafkaVersion: kafka.version,
      bootstrap: kafka.bootstrap,
      kafkaLogFile: kafka.logFile,
      kafkaDataDir: kafka.dataDir,
      baseDir: kafka.baseDir,
      groupId,
      workers: workers.map((w) => ({
        url: w.url,
        workerId: w.workerId,
        groupId: w.groupId,
        logFile: w.logFile,
      })),
    };
    process.stdout.write(
      `[stack] Kafka ${kafka.version} at ${kafka.bootstrap} (${t1 - t0} ms), Connect ${workers
        .map((w) => w.url)
        .join(' ')} (${Date.now() - t1} ms); logs under ${kafka.baseDir}\n`,
    );
    // scenario helpers put their FileStream files here by default, so teardown removes them
    process.env[SCENARIO_DIR_ENV] = path.join(kafka.baseDir, 'scenario-files');
    project.provide('stack', stack);
  } catch (err) {
    await stopAll({ keepDirs: true });
    throw err;
  }
}

export async function teardown(): Promise<void> {
  await stopAll();
}
