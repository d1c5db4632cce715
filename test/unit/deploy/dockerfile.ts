/**
 * A small Dockerfile reader for static checks (no Docker engine here): parser directives, comments,
 * line continuations, JSON (exec) and shell forms, `--flags`, and stages split at FROM. Also the
 * .dockerignore matcher (moby/patternmatcher semantics: last matching pattern wins, a pattern that
 * matches a parent directory matches everything below it, `!` re-includes).
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  readonly keyword: string;
  /** Everything after the keyword and its flags, continuation lines joined with a space. */
  readonly args: string;
  /** `--name=value` flags before the arguments (HEALTHCHECK: before CMD). */
  readonly flags: Readonly<Record<string, string>>;
  /** The arguments as a JSON array when written in exec form. */
  readonly json?: readonly string[];
  /** 1-based line of the keyword. */
  readonly line: number;
}

export interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  readonly directives: Readonly<Record<string, string>>;
  /** ARGs before the first FROM, usable in FROM lines. */
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split(/\r?\n/);
  const directives: Record<string, string> = {};
  let i = 0;
  // Parser directives: `# key=value` lines at the very top, before any comment, blank line or instruction.
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(.+?)\s*$/.exec(lines[i] as string);
    if (!m) break;
    directives[(m[1] as string).toLowerCase()] = m[2] as string;
  }
  const escape = directives.escape ?? '\\';
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const first = lines[i] as string;
    const start = i + 1;
    i++;
    if (/^\s*(#|$)/.test(first)) continue;
    let logical = first;
    while (logical.trimEnd().endsWith(escape) && i <= lines.length) {
      logical = logical.trimEnd().slice(0, -escape.length).trimEnd();
      // Comment lines inside a continuation are dropped, as Docker does.
      while (i < lines.length && /^\s*#/.test(lines[i] as string)) i++;
      if (i >= lines.length) break;
      logical += ` ${(lines[i] as string).trim()}`;
      i++;
    }
    const m = /^\s*(\S+)\s*(.*)$/.exec(logical);
    if (!m) continue;
    const keyword = (m[1] as string).toUpperCase();
    let rest = (m[2] as string).trim();
    const flags: Record<string, string> = {};
    for (let f = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest); f; f = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest)) {
      flags[f[1] as string] = f[2] ?? 'true';
      rest = rest.slice(f[0].length);
    }
    if (keyword === 'HEALTHCHECK' && /^CMD\s/i.test(rest)) rest = rest.replace(/^CMD\s+/i, '');
    let json: string[] | undefined;
    if (rest.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(rest);
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) json = parsed;
      } catch {
        // shell form that happens to start with "["
      }
    }
    instructions.push({ keyword, args: rest, flags, ...(json ? { json } : {}), line: start });
  }

  const globalArgs: Record<string, string> = {};
  const stages: { image: string; name?: string; instructions: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      const image = (m[1] as string).replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_, a: string, b: string) => globalArgs[a ?? b] ?? '',
      );
      stages.push({ image, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      const [k, v] = ins.args.split('=');
      globalArgs[k as string] = v ?? '';
    } else {
      stages[stages.length - 1]?.instructions.push(ins);
    }
  }
  return { directives, globalArgs, stages };
}

/** Splits `a && b \n c; d` shell text into the commands it runs (good enough for RUN lines). */
export function shellCommands(run: string): string[] {
  return run
    .split(/&&|\|\||;/)
    .map((s) => s.trim().replace(/\s+/g, ' '))
    .filter(Boolean);
}

/** Go filepath.Match plus `**`, anchored, for one path segment sequence. */
function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let k = 0; k < pattern.length; k++) {
    const c = pattern[k] as string;
    if (c === '*' && pattern[k + 1] === '*') {
      re += '.*';
      k++;
      if (pattern[k + 1] === '/') k++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const p = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      return { negate, re: patternRegex(p) };
    });
  /** True when `path` (relative to the context, `/`-separated) is excluded from the build context. */
  return (path) => {
    const parts = path.split('/');
    const candidates = parts.map((_, n) => parts.slice(0, n + 1).join('/'));
    let excluded = false;
    for (const r of rules) {
      if (candidates.some((c) => r.re.test(c))) excluded = !r.negate;
    }
    return excluded;
  };
}

/**
 * How the image runs node: the flags between `node` and the script in the runtime stage's exec-form
 * ENTRYPOINT, and the runtime stage's ENV (values that refer to build arguments left out). The benches run
 * the sidecar this way to report what the image does.
 */
export function imageRuntime(dockerfile: Dockerfile): {
  execArgv: string[];
  env: Record<string, string>;
} {
  const runtime = dockerfile.stages[dockerfile.stages.length - 1];
  if (runtime === undefined) throw new Error('the Dockerfile has no stage');
  const entry = runtime.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)?.json ?? [];
  const node = entry.indexOf('node');
  if (node < 0) throw new Error('the runtime stage has no exec-form ENTRYPOINT that runs node');
  const env: Record<string, string> = {};
  for (const i of runtime.instructions.filter((x) => x.keyword === 'ENV')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(i.args);
    if (m && !m[2]?.includes('$')) env[m[1] as string] = m[2] as string;
  }
  return { execArgv: entry.slice(node + 1, -1), env };
}
