/** Loads the user's `--fix` module: a JavaScript file whose default export repairs one record. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './args.js';
import type { ReplayRecord } from './plan.js';

/** Returns the record to republish (changed or not), or null to leave it for review. May be async. */
export type Fix = (record: ReplayRecord) => unknown;

export async function loadFix(file: string, cwd: string = process.cwd()): Promise<Fix> {
  const abs = path.resolve(cwd, file);
  if (!existsSync(abs)) throw new UsageError('--fix', `${abs} does not exist`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError('--fix', `cannot load ${abs}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // A CommonJS module's `module.exports = fn` arrives as the default export too.
  const fn = mod.default ?? mod.fix;
  if (typeof fn !== 'function')
    throw new UsageError(
      '--fix',
      `${abs} exports no function: write \`export default (record) => record | null\``,
    );
  return fn as Fix;
}
