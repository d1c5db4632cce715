/**
 * `npx tsx bench/versus.ts REF [rounds]`: the two hot paths of this checkout against another commit, measured in
 * the same run, in alternating rounds (REF, this, REF, this, …) so drift of a noisy machine hits both alike:
 *
 *   - /metrics p99 with 10 gzip scrapers at 2,000 connectors × 8 tasks (the `scrape` bench's row);
 *   - the poll time at 5,000 × 8 on loopback (the `poll` bench's row).
 *
 * The other commit's src/, bench/ and test/sim/ (and package.json) are extracted with `git archive` into
 * .cache/bench/versus-<sha>/ and run with this checkout's node_modules, so only the code differs. Each side runs
 * its own copy of the benches; the rows are read from their output.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Figures {
  /** /metrics p99 (ms), 10 gzip scrapers, 2,000 × 8. */
  scrapeP99: number;
  /** Poll (ms) at 5,000 × 8 on loopback. */
  poll5000: number;
}

function extract(ref: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const dir = join(REPO_ROOT, '.cache', 'bench', `versus-${sha}`);
  if (!existsSync(join(dir, 'bench', 'run.ts'))) {
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', sha, 'src', 'bench', 'test/sim', 'package.json'], {
      cwd: REPO_ROOT,
      maxBuffer: 256 * 2 ** 20,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  return dir;
}

function run(root: string, bench: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), bench], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${root}: bench ${bench} exited ${code}\n${out}`)),
    );
  });
}

/** A number in the row of the output that matches `row`, at column `column` (0 = first number). */
function figure(output: string, row: RegExp, column: number, what: string): number {
  const line = output.split('\n').find((l) => row.test(l));
  const n = line?.match(/\d+(?:\.\d+)?/g)?.map(Number)[column];
  if (n === undefined) throw new Error(`no ${what} in the bench output:\n${output}`);
  return n;
}

async function measure(root: string): Promise<Figures> {
  const scrape = await run(root, 'scrape');
  const poll = await run(root, 'poll');
  return {
    // "sentinel  10  gzip  scrapes  MB/scrape  p50  p99 …": numbers 10, scrapes, MB, p50, p99.
    scrapeP99: figure(scrape, /^\s+sentinel\s+10\s+gzip\s/, 4, 'sentinel 10 gzip row'),
    // "loopback  5000  sentinel ms …"
    poll5000: figure(poll, /^\s+loopback\s+5000\s/, 1, 'loopback 5000 row'),
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const [ref, roundsArg] = process.argv.slice(2);
  if (ref === undefined) throw new Error('usage: npx tsx bench/versus.ts REF [rounds]');
  const rounds = Number(roundsArg ?? 2);
  const theirs = extract(ref);
  const a: Figures[] = [];
  const b: Figures[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await measure(theirs));
    b.push(await measure(REPO_ROOT));
    console.log(`round ${i + 1}: ${ref} ${JSON.stringify(a[i])}  this ${JSON.stringify(b[i])}`);
  }
  const rows: [string, keyof Figures][] = [
    ['/metrics p99, 10 gzip scrapers, 2,000 × 8 (ms)', 'scrapeP99'],
    ['poll at 5,000 × 8, loopback (ms)', 'poll5000'],
  ];
  console.log(
    `\n| figure (median of ${rounds} alternating rounds) | ${ref} | this checkout | this / ${ref} |`,
  );
  console.log('|---|---|---|---|');
  for (const [label, key] of rows) {
    const x = median(a.map((f) => f[key]));
    const y = median(b.map((f) => f[key]));
    console.log(`| ${label} | ${x.toFixed(1)} | ${y.toFixed(1)} | ${(y / x).toFixed(2)}× |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
