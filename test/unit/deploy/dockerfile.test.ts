/**
 * No Docker engine runs here, so the Dockerfile's rules are checked statically: parse it and assert Node
 * container practice, and that what it copies, runs and exposes agrees with the code. (The build the image
 * makes is run in test/integration/image-build.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { SETTINGS } from '../../../src/config/schema.js';
import {
  dockerignore,
  imageRuntime,
  parseDockerfile,
  shellCommands,
  type Instruction,
  type Stage,
} from './dockerfile.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  engines: { node: string };
};
const dockerfile = parseDockerfile(read('Dockerfile'));
const ignored = dockerignore(read('.dockerignore'));
const build = dockerfile.stages[0] as Stage;
const runtime = dockerfile.stages[dockerfile.stages.length - 1] as Stage;
const DEFAULT_PORT = Number(
  String(SETTINGS.find((s) => s.key === 'web.listenAddress')?.default)
    .split(':')
    .pop(),
);

const all = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === keyword);
const runs = (stage: Stage): string[] => all(stage, 'RUN').flatMap((r) => shellCommands(r.args));
const lastIndex = (stage: Stage, keyword: string): number =>
  stage.instructions.map((i) => i.keyword).lastIndexOf(keyword);

describe('the parser', () => {
  test('reads directives, continuations, comments inside continuations, flags and exec form', () => {
    const d = parseDockerfile(
      '# syntax=docker/dockerfile:1\nARG BASE=x:1\nFROM ${BASE} AS a\nRUN one \\\n# dropped\n  && two\nHEALTHCHECK --interval=5s CMD ["node", "h.js"]\nFROM a\nCOPY --from=a /x /y\n',
    );
    expect(d.directives).toEqual({ syntax: 'docker/dockerfile:1' });
    expect(d.stages.map((s) => [s.image, s.name])).toEqual([
      ['x:1', 'a'],
      ['a', undefined],
    ]);
    expect(d.stages[0]?.instructions[0]).toMatchObject({ keyword: 'RUN', args: 'one && two', line: 4 });
    expect(d.stages[0]?.instructions[1]).toMatchObject({ flags: { interval: '5s' }, json: ['node', 'h.js'] });
    expect(d.stages[1]?.instructions[0]).toMatchObject({
      keyword: 'COPY',
      flags: { from: 'a' },
      args: '/x /y',
    });
    const ign = dockerignore('**\n!src\nsrc/**/*.log\n');
    expect([ign('src/a.ts'), ign('src/x/y.log'), ign('test/a.ts'), ign('README.md')]).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });
});

describe('Dockerfile', () => {
  test('is multi-stage: a build stage and a runtime stage on the same pinned Node LTS slim image', () => {
    expect(dockerfile.directives.syntax).toMatch(/^docker\/dockerfile:1/); // RUN --mount needs BuildKit's syntax
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).toBe('build');
    for (const stage of dockerfile.stages) {
      const m = /^node:(\d+)\.(\d+)\.(\d+)-(bookworm|trixie)-slim$/.exec(stage.image);
      expect(m, `${stage.image} must be node:<x.y.z>-<debian>-slim, pinned by version`).not.toBeNull();
      const major = Number(m?.[1]);
      expect(major % 2, 'even Node majors are the LTS lines').toBe(0);
      // package.json engines: ">=20.19"
      const [, emaj, emin] = /(\d+)\.(\d+)/.exec(pkg.engines.node) ?? [];
      expect(major > Number(emaj) || (major === Number(emaj) && Number(m?.[2]) >= Number(emin))).toBe(true);
    }
    expect(runtime.image).toBe(build.image);
  });

  test('the build stage installs from the lockfile, builds what package.json runs, and prunes dev dependencies', () => {
    const cmds = runs(build);
    const ci = cmds.findIndex((c) => /^npm ci\b/.test(c));
    const compile = cmds.findIndex((c) => c === 'npm run build');
    const prune = cmds.findIndex((c) => /^npm prune\b.*--omit=dev/.test(c));
    expect(
      [ci, compile, prune].every((n) => n >= 0),
      cmds.join(' | '),
    ).toBe(true);
    expect(ci < compile && compile < prune).toBe(true);
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json');
    const copied = all(build, 'COPY').flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    expect(copied).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        'tsconfig.build.json',
        'src',
      ]),
    );
    // The lockfile is copied before the sources, so the npm ci layer survives code changes.
    const firstCopy = all(build, 'COPY')[0]?.args ?? '';
    expect(firstCopy).toContain('package-lock.json');
    expect(firstCopy).not.toContain('src');
  });

  test('the runtime stage: production env, non-root numeric user, the pruned modules and the build only', () => {
    expect(all(runtime, 'ENV').map((e) => e.args)).toContain('NODE_ENV=production');
    expect(runs(runtime).filter((c) => /^npm (ci|install|i)\b/.test(c))).toEqual([]);
    const fromBuild = all(runtime, 'COPY')
      .filter((c) => c.flags.from === build.name)
      .map((c) => c.args.split(/\s+/)[0]);
    expect(fromBuild).toEqual(
      expect.arrayContaining(['/app/node_modules', '/app/dist', '/app/package.json']),
    );
    const users = all(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1]?.args ?? '';
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/); // numeric, not 0
    // Nothing runs as root after the switch, and the process starts as that user.
    expect(lastIndex(runtime, 'USER')).toBeGreaterThan(lastIndex(runtime, 'RUN'));
    expect(lastIndex(runtime, 'USER')).toBeLessThan(lastIndex(runtime, 'ENTRYPOINT'));
  });

  test('exec-form ENTRYPOINT under tini runs the built bin of package.json, with node flags this Node knows', () => {
    const entry = all(runtime, 'ENTRYPOINT');
    expect(entry).toHaveLength(1);
    const argv = entry[0]?.json ?? [];
    expect(argv.slice(0, 3), 'exec form: signals reach the process').toEqual(['/usr/bin/tini', '--', 'node']);
    expect(argv.at(-1)).toBe(`/app/${pkg.bin['connect-sentinel']}`);
    const flags = imageRuntime(dockerfile).execArgv;
    expect(argv.slice(3, -1)).toEqual(flags);
    for (const flag of flags) expect(flag).toMatch(/^--[a-z-]+(=\S+)?$/);
    // An unknown flag stops node before the sidecar starts: this Node (20) takes them, as the image's (22) does.
    const run = spawnSync(process.execPath, [...flags, '-e', '0'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(imageRuntime(dockerfile).env).toMatchObject({ MALLOC_ARENA_MAX: '2', NODE_ENV: 'production' });
    const apt = runs(runtime).find((c) => /^apt-get install\b/.test(c)) ?? '';
    expect(apt).toMatch(/--no-install-recommends/);
    expect(apt.split(' ')).toContain('tini');
    expect(runs(runtime)).toContain('rm -rf /var/lib/apt/lists/*');
    expect(fs.readFileSync(path.join(ROOT, 'src/main.ts'), 'utf8')).toMatch(/'SIGTERM'/);
  });

  test('EXPOSE is the default listen port of the code', () => {
    expect(all(runtime, 'EXPOSE').map((e) => e.args)).toEqual([String(DEFAULT_PORT)]);
    expect(DEFAULT_PORT).toBe(9840);
  });

  test('HEALTHCHECK runs node (no curl) on a script the image contains', () => {
    const hc = all(runtime, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const cmd = hc[0]?.json ?? [];
    expect(cmd[0]).toBe('node');
    expect(hc[0]?.args).not.toMatch(/curl|wget/);
    for (const flag of ['interval', 'timeout', 'start-period', 'retries'])
      expect(hc[0]?.flags).toHaveProperty(flag);
    const copy = all(runtime, 'COPY').find(
      (c) => !c.flags.from && c.args.endsWith(path.basename(cmd[1] ?? '?')),
    );
    expect(copy, `${cmd[1]} must be copied into the image`).toBeDefined();
    expect(`/app/${copy?.args.split(/\s+/)[1]?.replace(/^\.\//, '')}`).toBe(cmd[1]);
  });

  test('the revision is a build argument that reaches connect_sentinel_build_info', () => {
    expect(all(runtime, 'ARG').map((a) => a.args.split('=')[0])).toContain('CONNECT_SENTINEL_REVISION');
    expect(all(runtime, 'ENV').map((e) => e.args)).toContain(
      'CONNECT_SENTINEL_REVISION=${CONNECT_SENTINEL_REVISION}',
    );
    expect(read('src/version.ts')).toContain('process.env.CONNECT_SENTINEL_REVISION');
  });

  test('.dockerignore keeps what the Dockerfile copies and leaves out the rest', () => {
    const sources = dockerfile.stages.flatMap((s) =>
      all(s, 'COPY')
        .filter((c) => !c.flags.from)
        .flatMap((c) => c.args.split(/\s+/).slice(0, -1)),
    );
    for (const src of sources) {
      expect(fs.existsSync(path.join(ROOT, src)), `${src} exists`).toBe(true);
      expect(ignored(src), `${src} is in the build context`).toBe(false);
    }
    expect(ignored('src/main.ts')).toBe(false);
    for (const p of [
      'node_modules/pino/package.json',
      'dist/src/main.js',
      '.git/HEAD',
      'test/unit/x.test.ts',
      '.cache/kafka-4.1.2/a.jar',
      'deploy/compose/compose.yaml',
      'src/x/node_modules/a.js',
    ]) {
      expect(ignored(p), p).toBe(true);
    }
  });
});
