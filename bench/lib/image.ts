/**
 * The node flags and environment the image runs the sidecar with (the Dockerfile's ENTRYPOINT and ENV),
 * so a bench can run its sidecar as the image does.
 */
import { readFileSync } from 'node:fs';
import { imageRuntime, parseDockerfile } from '../../test/unit/deploy/dockerfile.js';

export const IMAGE_RUNTIME = imageRuntime(
  parseDockerfile(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')),
);
