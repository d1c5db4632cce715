/**
 * The error every configuration problem ends in: main.ts prints one line per problem and exits 2. Its own
 * module so that code reading other configuration files (the web config) can throw it without the loader.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}
