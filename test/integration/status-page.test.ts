/**
 * The status page in a real browser (the system's Chromium, driven by playwright-core) against a real
 * Connect worker and Kafka broker: what a person on call sees first, that names are text, that it works
 * behind basic auth and without JavaScript, and a screenshot kept as an artifact.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { DEFAULT_RUNBOOK_BASE_URL, runbookUrl } from '../../src/lib/runbook.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';
import '../stack/context.js';
import { startExtraWorker, stopAll, type ConnectWorker } from '../stack/control.js';
import {
  allRunning,
  healthySink,
  poisonPillSink,
  produce,
  putConnector,
  waitForConnectorState,
  type Scenario,
} from '../stack/scenarios.js';

const stack = inject('stack');
const prefix = `page-${Date.now().toString(36)}`;
const XSS = '<img src=x onerror=alert(1)>';
const USER = { username: 'oncall', password: 'pager duty' };
/** The Debian package's binary, installed by .ci/run; never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACT = join(dirname(fileURLToPath(import.meta.url)), '../../.cache/artifacts/status-page.png');

let worker: ConnectWorker;
let sentinel: TestSentinel;
let poison: Scenario;
let healthy: Scenario;
const dirs: string[] = [];

/** A fresh profile per context, the flags that work on a 2-core CI machine without a sandbox or a GPU. */
async function browser(options: { auth?: boolean; javaScript?: boolean } = {}): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: apt-get install chromium (.ci/run does)`);
  const profile = mkdtempSync(join(tmpdir(), 'cs-chromium-'));
  dirs.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 1000 },
    javaScriptEnabled: options.javaScript ?? true,
    ...(options.auth === false ? {} : { httpCredentials: USER }),
  });
}

/** GET a path with the credentials, as text. */
async function get(path: string): Promise<string> {
  const auth = Buffer.from(`${USER.username}:${USER.password}`).toString('base64');
  const res = await fetch(`${sentinel.url}${path}`, { headers: { authorization: `Basic ${auth}` } });
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  return res.text();
}

async function waitFor(path: string, check: (body: string) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    last = await get(path);
    if (check(last)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const text = last.replace(/<style>[^<]*<\/style>/, '').replace(/<[^>]*>/g, ' ');
  throw new Error(`timed out waiting for ${what}; ${path} said:\n${text.slice(0, 4000)}`);
}

beforeAll(async () => {
  // A Connect cluster of its own: the page shows exactly these connectors, whatever other files create.
  worker = await startExtraWorker(stack);
  const ctx = { target: worker.url, bootstrap: stack.bootstrap, prefix };
  [poison, healthy] = await Promise.all([poisonPillSink(ctx), healthySink(ctx)]);
  const input = `${prefix}-xss-in`;
  const files = mkdtempSync(join(tmpdir(), 'cs-page-'));
  dirs.push(files);
  await produce(stack.bootstrap, input, ['{"ok":1}', 'not json']);
  await putConnector(worker.url, XSS, {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
    'tasks.max': '1',
    topics: input,
    file: join(files, 'xss.txt'),
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': `${prefix}-xss-dlq`,
    'errors.deadletterqueue.topic.replication.factor': '1',
    'errors.deadletterqueue.context.headers.enable': 'true',
  });
  await Promise.all([
    waitForConnectorState(worker.url, poison.name, poison.expect),
    waitForConnectorState(worker.url, healthy.name, healthy.expect),
    waitForConnectorState(worker.url, XSS, allRunning(1)),
  ]);

  const web = mkdtempSync(join(tmpdir(), 'cs-page-web-'));
  dirs.push(web);
  const webConfig = join(web, 'web.yml');
  writeFileSync(webConfig, `basic_auth_users:\n  ${USER.username}: ${bcrypt.hashSync(USER.password, 4)}\n`);
  sentinel = await startSentinel([
    '--connect.url',
    worker.url,
    '--connect.name',
    'page-it',
    '--kafka.brokers',
    stack.bootstrap,
    '--web.config.file',
    webConfig,
  ]);
  // The DLQ grows while the sidecar watches: more bad records after it has read the topic once.
  const dlq = `/api/v1/dlq?connector=${encodeURIComponent(XSS)}`;
  const written = (body: string): number =>
    (JSON.parse(body) as { clusters: { connectors: { written: number | null }[] }[] }).clusters[0]
      ?.connectors[0]?.written ?? 0;
  await waitFor(dlq, (body) => written(body) >= 1, 'the first DLQ record read');
  await produce(stack.bootstrap, input, ['still not json', '{broken']);
  await waitFor('/', (html) => html.includes('<b>DLQ growing</b>'), 'the DLQ growing on the page');
});

afterAll(async () => {
  await sentinel?.stop();
  await stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the status page in Chromium', () => {
  test('the failing connector comes first, with its trace line and its runbook link; the rest follow', async () => {
    const context = await browser();
    try {
      const page = await context.newPage();
      const res = await page.goto(`${sentinel.url}/`);
      expect(res?.status()).toBe(200);
      const cards = page.locator('article.card');
      const first = cards.first();
      await expect(first.locator('h4 a').textContent()).resolves.toBe(poison.name);
      await expect(first.locator('details.trace summary code').first().textContent()).resolves.toBe(
        'org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler',
      );
      await expect(first.locator('a.runbook').first().getAttribute('href')).resolves.toBe(
        runbookUrl(DEFAULT_RUNBOOK_BASE_URL, 'KafkaConnectTaskFailed'),
      );
      // The whole trace is behind the disclosure: hidden, then shown by a click, without script.
      const pre = first.locator('details.trace pre').first();
      expect(await pre.isVisible()).toBe(false);
      await first.locator('details.trace summary').first().click();
      expect(await pre.isVisible()).toBe(true);
      expect(await pre.textContent()).toContain('Caused by: org.apache.kafka.connect.errors.DataException');
      // Then the DLQ that grows, then the healthy sink as a row.
      await expect(cards.nth(1).locator('h4 a').textContent()).resolves.toBe(XSS);
      expect(await cards.nth(1).textContent()).toMatch(/DLQ growing: \S+-xss-dlq \+\d+ records in/);
      expect(await cards.count()).toBe(2);
      await expect(page.locator('table.connectors td a').allTextContents()).resolves.toEqual([healthy.name]);
      // RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED, RESTARTING: the poison sink's connector runs, its task failed.
      const row = (n: number) => page.locator('table.counts tbody tr').nth(n).locator('td').allTextContents();
      await expect(row(0)).resolves.toEqual(['3', '0', '0', '0', '0', '0']);
      await expect(row(1)).resolves.toEqual(['2', '0', '0', '1', '0', '0']);
      await expect(page.locator('meta[http-equiv="refresh"]').getAttribute('content')).resolves.toBe('5');

      mkdirSync(dirname(ARTIFACT), { recursive: true });
      // Closed again, so the screenshot shows the whole first screen as a person first sees it.
      await first.locator('details.trace summary').first().click();
      await page.screenshot({ path: ARTIFACT });
      const png = readFileSync(ARTIFACT);
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1400, 1000]);
    } finally {
      await context.close();
    }
  });

  test('a connector named like markup is text, and nothing it says runs', async () => {
    const context = await browser();
    try {
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(`${sentinel.url}/`);
      // Its name shows as written, in its card's heading and in the DLQ's context.
      await expect(page.getByText(XSS, { exact: true }).count()).resolves.toBeGreaterThanOrEqual(1);
      expect(await page.locator('img').count()).toBe(0);
      // A reload (the page's own meta refresh) renders it again, still as text.
      await page.waitForEvent('load', { timeout: 15_000 });
      expect(await page.locator('img').count()).toBe(0);
      expect(dialogs).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('behind basic auth: no credentials, no page; with them it reads the same without JavaScript', async () => {
    const anonymous = await browser({ auth: false });
    try {
      const page = await anonymous.newPage();
      // Asked for credentials it does not have, Chromium gives up on the page: nothing of it is shown.
      await expect(page.goto(`${sentinel.url}/`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      // Chromium is still moving to its own error page: read the document once it has settled there.
      expect(await settledContent(page)).not.toContain(poison.name);
      expect((await fetch(`${sentinel.url}/`)).status).toBe(401);
    } finally {
      await anonymous.close();
    }
    const noScript = await browser({ javaScript: false });
    try {
      const page = await noScript.newPage();
      await page.goto(`${sentinel.url}/?refresh=off`);
      await expect(page.locator('article.card h4 a').first().textContent()).resolves.toBe(poison.name);
      expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    } finally {
      await noScript.close();
    }
  });
});

/** The page's HTML once no navigation is under way (content() throws while one is), within 10 s. */
async function settledContent(page: {
  content(): Promise<string>;
  waitForLoadState(state: 'load'): Promise<void>;
}): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await page.waitForLoadState('load');
    try {
      return await page.content();
    } catch (err) {
      if (Date.now() > deadline || !/navigating/.test(String(err))) throw err;
    }
  }
}
