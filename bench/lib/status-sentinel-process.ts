/** A real Sentinel (src/app.ts) configured by flags, in its own process; driven by the status-topic bench. */
import { Sentinel } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { serve } from './child.js';

let sentinel: Sentinel | undefined;

serve({
  async start(argv: string[]) {
    const config = loadConfig({
      argv: ['--web.listen-address', '127.0.0.1:0', '--poll.jitter', '0', ...argv],
      env: {},
    });
    sentinel = new Sentinel(config, silentLogger());
    await sentinel.start();
    await sentinel.firstPolls();
    return { url: sentinel.url };
  },
  async stop() {
    await sentinel?.stop();
  },
});
