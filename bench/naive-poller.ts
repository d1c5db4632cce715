/**
 * The way REST exporters and the seed's scripts poll Connect: list the names, then one status call per
 * connector. Keep-alive sockets and JSON parsing like any Node client; `concurrency` 1 is the sequential
 * script, 8 the fairer "small pool" variant.
 */
import http from 'node:http';

export interface NaivePoll {
  readonly connectors: number;
  readonly requests: number;
}

export class NaivePoller {
  private readonly agent: http.Agent;
  requests = 0;

  constructor(
    private readonly base: string,
    private readonly concurrency: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  }

  private get(path: string): Promise<unknown> {
    this.requests++;
    return new Promise((resolve, reject) => {
      const req = http.get(
        `${this.base}${path}`,
        { agent: this.agent, headers: { accept: 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
            } catch (err) {
              reject(err as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
    });
  }

  async poll(): Promise<NaivePoll> {
    const before = this.requests;
    const names = (await this.get('/connectors')) as string[];
    const statuses: unknown[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const name = names[next++] as string;
        statuses.push(await this.get(`/connectors/${encodeURIComponent(name)}/status`));
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    return { connectors: statuses.length, requests: this.requests - before };
  }

  close(): void {
    this.agent.destroy();
  }
}
