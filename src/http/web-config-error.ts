/**
 * A web config file that cannot be used: each problem names the file and line. Its own class, not the
 * configuration loader's, so the HTTP layer does not depend on the loader; main.ts maps it to exit status 2.
 */
export class WebConfigError extends Error {
  override readonly name = 'WebConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}
