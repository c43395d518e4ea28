// A short smoke of a deployed Jobserver, as an operator checks a new deployment: health, the v4
// and v1 APIs (create -> run -> read), the jobs in the database, the settings the domain gave it,
// and the console in Debian's Chromium under the context root.
//
//   node smoke.mjs <server root url> <context root> <token, every role> <read-only token>
//   environment: DB (the PostgreSQL database, read with psql), WORKERS and INSTANCE (the values of
//   jobserver.workers and jobserver.instance.id set on the domain), OUT (a folder for screenshots)
//
// Ends with "N passed, N failed" and exits non-zero when a check failed.

import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const require = createRequire(new URL('../browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [server, context, token, readToken] = process.argv.slice(2);
if (!server || !context || !token || !readToken) {
  console.error('usage: node smoke.mjs <server root url> <context root> <token> <read-only token>');
  process.exit(2);
}
const app = `${server}${context}`;
const out = process.env.OUT || '.';
fs.mkdirSync(out, { recursive: true });
const WAIT = 30000;
let passed = 0;
let failed = 0;

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

async function call(method, path, { body, bearer = token, expect } = {}) {
  const res = await fetch(`${app}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (expect !== undefined && res.status !== expect) throw new Error(`${method} ${path}: ${res.status}, expected ${expect}: ${text.slice(0, 300)}`);
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function until(what, read, done) {
  const end = Date.now() + WAIT;
  let last;
  while (Date.now() < end) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} within ${WAIT} ms; last: ${JSON.stringify(last).slice(0, 300)}`);
}

const sql = (statement) => execFileSync('psql', ['-d', process.env.DB, '-tAq', '-c', statement], { encoding: 'utf8' }).trim();

let v4Id;
let v1Id;

await check('health: ready at the server root', async () => {
  const res = await until('ready', async () => {
    const r = await fetch(`${server}/health/ready`);
    return { status: r.status, body: await r.text() };
  }, (r) => r.status === 200);
  if (!res.body.includes('"UP"')) throw new Error(res.body);
});

await check('v4: create -> runs -> read as success', async () => {
  const created = await call('POST', '/api/v4/jobs', { body: { type: 'noop', data: { from: 'smoke' } }, expect: 201 });
  v4Id = created.body.id;
  await until(`job ${v4Id} success`, async () => (await call('GET', `/api/v4/jobs/${v4Id}`, { expect: 200 })).body, (j) => j.status === 'success');
});

await check('v1: create -> runs -> read as Status.COMPLETED', async () => {
  const created = await call('POST', '/api/v1/jobs?task_id=noop', { expect: 201 });
  v1Id = created.body.job.id;
  await until(`job ${v1Id} completed`, async () => (await call('GET', `/api/v1/jobs/${v1Id}`, { expect: 200 })).body, (j) => j.job && j.job.status === 'Status.COMPLETED');
});

await check('a read-only token may read but not create', async () => {
  await call('GET', `/api/v4/jobs/${v4Id}`, { bearer: readToken, expect: 200 });
  await call('POST', '/api/v4/jobs', { bearer: readToken, body: { type: 'noop' }, expect: 403 });
  await call('GET', '/api/v4/jobs', { bearer: 'not-a-token', expect: 401 });
});

await check("the jobs are in the administrator's PostgreSQL database (jdbc/jobserver)", async () => {
  if (!process.env.DB) throw new Error('DB is not set');
  const n = sql(`SELECT count(*) FROM job WHERE id IN ('${v4Id}', '${v1Id.replace(/'/g, '')}')`);
  if (n !== '2') throw new Error(`${n} of the 2 jobs are in ${process.env.DB}`);
  const app = sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jobserver'");
  if (Number(app) < 1) throw new Error('no connection of the pool (ApplicationName=jobserver) is open');
});

await check('the domain\'s settings are read: jobserver.workers, jobserver.instance.id', async () => {
  const metrics = await (await fetch(`${server}/metrics`)).text();
  const m = metrics.match(/^jobserver_workers_max(?:\{[^}]*\})? (\S+)/m);
  if (!m) throw new Error('no jobserver_workers_max in /metrics');
  if (Number(m[1]) !== Number(process.env.WORKERS)) throw new Error(`jobserver_workers_max is ${m[1]}, the domain says ${process.env.WORKERS}`);
  const events = (await call('GET', `/api/jobserver/v1/jobs/${v4Id}/events`, { expect: 200 })).body;
  const actors = (events.events || events).map((e) => e.actor);
  if (!actors.some((a) => a && a.startsWith(`engine:${process.env.INSTANCE}`))) throw new Error(`actors: ${actors.join(', ')}`);
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));

  await check(`the console loads and signs in under ${context}/`, async () => {
    await page.goto(`${app}/#token=${token}`);
    await page.locator('.user-name').waitFor({ timeout: WAIT });
    await page.locator('.cards .card-value').first().waitFor({ timeout: WAIT });
    await page.locator('.live-ok').waitFor({ timeout: WAIT });
    await page.screenshot({ path: `${out}/console.png` });
    const outside = requested.filter((p) => !p.startsWith(`${context}/`));
    if (outside.length) throw new Error(`requested outside ${context}/: ${outside.join(', ')}`);
    for (const p of [`${context}/console/app.js`, `${context}/console/console.css`, `${context}/api/jobserver/v1/me`]) {
      if (!requested.includes(p)) throw new Error(`${p} was not requested`);
    }
    const explorer = await page.locator('a.nav-external').evaluate((a) => a.href);
    if (explorer !== `${app}/api-docs/`) throw new Error(`the API explorer link is ${explorer}`);
    if (problems.length) throw new Error(problems.join('; '));
  });

  await check('the API explorer shows the OpenAPI document', async () => {
    await page.goto(`${app}/api-docs/`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: WAIT });
    await page.locator('.opblock').first().waitFor({ timeout: WAIT });
    await page.screenshot({ path: `${out}/api-explorer.png` });
    if (problems.length) throw new Error(problems.join('; '));
  });
} finally {
  await browser.close();
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
