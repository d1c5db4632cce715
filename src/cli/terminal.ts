/** Where the dlq commands write: stdout for results, stderr for progress and problems. */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  readonly outIsTty: boolean;
  readonly errIsTty: boolean;
  readonly columns: number;
  /** A table for a person at a terminal, JSON lines for a pipe or a file. */
  readonly defaultOutput: 'table' | 'json';
}

export function processTerminal(): Terminal {
  const outIsTty = process.stdout.isTTY === true;
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    outIsTty,
    errIsTty: process.stderr.isTTY === true,
    columns: process.stdout.columns ?? process.stderr.columns ?? 120,
    defaultOutput: outIsTty ? 'table' : 'json',
  };
}
