// Walks the console in Debian's Chromium as an operator would, against a running server, keeping a
// screenshot of every step. Any error in the browser console fails the step it happened in.
//
//   node walk.mjs <base url> <token with every role> <read-only token> <screenshot dir>
//
// Ends with "N passed, N failed" and exits non-zero when a step failed.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [base, adminToken, readToken, outDir] = process.argv.slice(2);
if (!base || !adminToken || !readToken || !outDir) {
  console.error('usage: node walk.mjs <base url> <admin token> <read-only token> <screenshot dir>');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

const VIEWPORT = { width: 1366, height: 768 };
const WAIT = 15000; // the machine is small and shared: a few seconds of polling plus slack

// --- the server, driven directly, to set the scene -----------------------------------------------

async function apiCall(method, route, body, token = adminToken) {
  const res = await fetch(`${base}/api/jobserver/v1${route}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
const createJob = (type, data = {}) => apiCall('POST', '/jobs', { type, data });

async function waitForJob(id, predicate, what, ms = WAIT) {
  const until = Date.now() + ms;
  let job;
  while (Date.now() < until) {
    job = await apiCall('GET', `/jobs/${id}`);
    if (predicate(job)) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${id} did not become ${what} within ${ms} ms (last: ${job && job.status})`);
}

// --- the browser ----------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

/** Browser console errors and uncaught exceptions, by the step they happened in. */
const consoleErrors = [];
let currentStep = '(setup)';
let allowedErrors = [];

async function newPage() {
  const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light' });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location() && msg.location().url ? ` (${msg.location().url})` : '';
      consoleErrors.push({ step: currentStep, text: msg.text() + where });
    }
  });
  page.on('pageerror', (err) => consoleErrors.push({ step: currentStep, text: `uncaught: ${err.message}` }));
  return page;
}

let shotNo = 0;
async function shot(page, name) {
  shotNo++;
  const file = path.join(outDir, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  // usable at 1366x768: nothing may stick out sideways
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) throw new Error(`the page is ${overflow}px wider than the 1366px window (${file})`);
  return file;
}

const results = [];
async function step(name, fn, { allow = [] } = {}) {
  currentStep = name;
  allowedErrors = allow;
  const started = Date.now();
  const errorsBefore = consoleErrors.length;
  try {
    await fn();
    // errors may be logged just after the last check: give them a moment to arrive
    await new Promise((r) => setTimeout(r, 150));
    const fresh = consoleErrors.slice(errorsBefore).filter((e) => !allowedErrors.some((re) => re.test(e.text)));
    if (fresh.length) throw new Error(`browser console errors:\n    ${fresh.map((e) => e.text).join('\n    ')}`);
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    results.push({ name, ok: false, error: err.message });
    console.log(`FAIL ${name}: ${err.message}`);
    for (const p of openPages) {
      try {
        await p.screenshot({ path: path.join(outDir, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-')}-${openPages.indexOf(p)}.png`) });
      } catch {
        // the page may be gone
      }
    }
    throw err;
  }
}

const openPages = [];
const text = (page, selector) => page.locator(selector).first().innerText({ timeout: WAIT });
// the address changes before the console draws the job it names: wait for the page to show that
// job (a job page that stays on another job for the whole wait fails, naming the one it shows)
async function showsJob(page, id) {
  try {
    await page.waitForFunction((want) => document.querySelector('#job-id')?.textContent.trim() === want, id, { timeout: WAIT });
  } catch (e) {
    throw new Error(`another job opened: the page shows "${await page.locator('#job-id').first().innerText().catch(() => '')}", not ${id}`);
  }
}

// the scene, made through the API before the person looks (the first step)
let failed, running, runningForReader, exported;
// schedules and dependencies, made through the API in their steps
let hourly, nightly, slowDependency;

// --- the walk ----------------------------------------------------------------------------------------

const page = await newPage();
openPages.push(page);
let exitCode = 0;

try {
  await step('set the scene through the API: a failed job, running ones, an export, 30 more', async () => {
    failed = await createJob('sleep', { duration_ms: '100', fail: 'Upstream invoice service answered 503' });
    running = await createJob('sleep', { duration_ms: '45000' });
    runningForReader = await createJob('sleep', { duration_ms: '60000' });
    exported = await createJob('job_export', {});
    for (let i = 0; i < 30; i++) await createJob('noop', { batch: String(i) });
    await waitForJob(failed.id, (j) => j.status === 'failed', 'failed');
    await waitForJob(running.id, (j) => j.status === 'running' && j.progress > 0, 'running with progress');
    await waitForJob(exported.id, (j) => j.status === 'completed' && j.result, 'completed with a result');
  });

  await step('sign-in page when there is no token', async () => {
    const auth = page.waitForResponse((r) => r.url().endsWith('/api/jobserver/v1/auth'), { timeout: WAIT });
    const response = await page.goto(`${base}/`);
    // the server sends the page's policy (no SSO here: the page may fetch from this server only)
    const policy = response.headers()['content-security-policy'] || '';
    if (!/^default-src 'self'; script-src 'self';.* connect-src 'self';/.test(policy)) throw new Error(`Content-Security-Policy: ${policy}`);
    await page.locator('#token').waitFor({ timeout: WAIT });
    if ((await (await auth).json()).client_id !== null) throw new Error('GET /auth names a client id');
    await page.waitForTimeout(100);
    if (await page.locator('#sso-sign-in').count()) throw new Error('SSO is offered by a server without JOBSERVER_OIDC_CLIENT_ID');
    if ((await page.title()) !== 'Jobserver') throw new Error(`title is "${await page.title()}"`);
    await shot(page, 'sign-in');
  });

  await step('sign in by link: /#token=… signs in and leaves the address bar', async () => {
    await page.goto(`${base}/#token=${adminToken}`);
    await page.locator('.user-name').waitFor({ timeout: WAIT });
    const who = await text(page, '.user-name');
    if (!who.includes('developer')) throw new Error(`header says "${who}"`);
    if (page.url().includes('token')) throw new Error(`the token is still in the address: ${page.url()}`);
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('jobserver.token'), local: localStorage.length, cookie: document.cookie }));
    if (stored.session !== adminToken) throw new Error('the token is not in sessionStorage');
    if (stored.local !== 0 || stored.cookie) throw new Error('something was kept in localStorage or a cookie');
    if (!(await page.title()).includes('Jobserver')) throw new Error(`title is "${await page.title()}"`);
    await page.locator('.cards .card-value').first().waitFor({ timeout: WAIT });
    await page.locator('#types-table').waitFor({ timeout: WAIT });
    await page.locator('.live-ok').waitFor({ timeout: WAIT });
    await shot(page, 'overview');
  });

  await step('find a job by its id in the search field', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.locator('table.jobs').waitFor({ timeout: WAIT });
    await page.locator('#search').fill(failed.id);
    await page.locator('#search').press('Enter');
    await page.waitForURL(`**/#/jobs/${failed.id}`, { timeout: WAIT });
    await showsJob(page, failed.id);
  });

  await step('a failed job shows its error and its events', async () => {
    const status = await text(page, '.job-title .status');
    if (!/Failed/.test(status)) throw new Error(`status shows "${status}"`);
    const error = await text(page, '#job-error');
    if (!error.includes('Upstream invoice service answered 503')) throw new Error(`error panel says "${error}"`);
    const events = await text(page, '#job-events');
    if (!/Running/.test(events) || !/Failed/.test(events)) throw new Error(`events are "${events}"`);
    if (!/engine/i.test(events)) throw new Error('the events do not say the engine ran it');
    const json = await apiCall('GET', `/jobs/${failed.id}`);
    if (Array.isArray(json.stacktrace) && json.stacktrace.length) {
      // the server sends the failure's stack trace: the page must show it
      const trace = await text(page, '#job-error .stack');
      if (!trace.includes('IllegalStateException')) throw new Error(`the stack trace shows "${trace}"`);
    }
    await page.locator('#action-retry').waitFor({ timeout: WAIT }); // a failed job can be retried
    await shot(page, 'failed-job');
  });

  await step('retry a failed job: it runs again and its events keep the history', async () => {
    const eventsBefore = await page.locator('#job-events tbody tr').count();
    await page.locator('#action-retry').click();
    await page.waitForFunction((n) => document.querySelectorAll('#job-events tbody tr').length > n + 1, eventsBefore, { timeout: WAIT });
    const events = await text(page, '#job-events');
    if (!events.includes('developer')) throw new Error('the events do not say who retried it');
    // the same data fails again, as it should; the failure shows again without a reload
    await page.locator('.job-title .status-failed').waitFor({ timeout: WAIT });
    await page.locator('#job-error').waitFor({ timeout: WAIT });
  });

  await step('download a job’s result', async () => {
    await page.evaluate((id) => (window.location.hash = `#/jobs/${id}`), exported.id);
    await page.locator('#download-result').waitFor({ timeout: WAIT });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.locator('#download-result').click()]);
    const file = await download.path();
    const content = fs.readFileSync(file, 'utf8');
    if (!content.includes(failed.id)) throw new Error(`the file ${download.suggestedFilename()} does not list the failed job`);
    await shot(page, 'job-with-result');
  });

  await step('a running job’s progress moves without a reload', async () => {
    await page.evaluate(() => (window.__sameDocument = true));
    await page.evaluate((id) => (window.location.hash = `#/jobs/${id}`), running.id);
    const bar = page.locator('.job-progress [role=progressbar]');
    await bar.waitFor({ timeout: WAIT });
    const first = Number(await bar.getAttribute('aria-valuenow'));
    await page.waitForFunction(
      (before) => Number(document.querySelector('.job-progress [role=progressbar]').getAttribute('aria-valuenow')) > before,
      first,
      { timeout: WAIT },
    );
    if (!(await page.evaluate(() => window.__sameDocument))) throw new Error('the page reloaded');
    await shot(page, 'running-job');
  });

  await step('cancel a running job and see it canceled without a reload', async () => {
    await page.locator('#action-cancel').click();
    await page.locator('#confirm-yes').click();
    await page.locator('.job-title .status-canceled').waitFor({ timeout: WAIT });
    if (!(await page.evaluate(() => window.__sameDocument))) throw new Error('the page reloaded');
    const events = await text(page, '#job-events');
    if (!events.includes('developer')) throw new Error('the events do not say who canceled it');
    const job = await apiCall('GET', `/jobs/${running.id}`);
    if (job.status !== 'canceled') throw new Error(`the server says ${job.status}`);
    await page.locator('#action-cancel').waitFor({ state: 'detached', timeout: WAIT });
    await shot(page, 'canceled-job');
  });

  await step('delete a finished job', async () => {
    await page.locator('#action-delete').click();
    await page.locator('#confirm-yes').click();
    await page.waitForURL(/#\/jobs(\?.*)?$/, { timeout: WAIT });
    await page.locator('.toast', { hasText: 'deleted' }).waitFor({ timeout: WAIT });
    const res = await fetch(`${base}/api/jobserver/v1/jobs/${running.id}`, { headers: { Authorization: `Bearer ${adminToken}` } });
    if (res.status !== 404) throw new Error(`the server still has it: ${res.status}`);
  });

  await step('a job created elsewhere appears in the list within seconds', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.waitForURL(/#\/jobs$/, { timeout: WAIT });
    await page.locator('table.jobs').waitFor({ timeout: WAIT });
    const created = await createJob('sleep', { duration_ms: '20000' });
    await page.locator(`tr[data-id="${created.id}"]`).waitFor({ timeout: WAIT });
    await page.locator(`tr[data-id="${created.id}"] .status-running`).waitFor({ timeout: WAIT });
    if (!(await page.evaluate(() => window.__sameDocument))) throw new Error('the page reloaded');
    await shot(page, 'new-job-in-list');
  });

  await step('filter by status and page through', async () => {
    await page.locator('#filter-status').click();
    await page.locator('.dropdown[open] label', { hasText: 'Failed' }).click();
    await page.locator('.dropdown[open] button', { hasText: 'Apply' }).click();
    await page.waitForURL(/status=failed/, { timeout: WAIT });
    await page.locator(`tr[data-id="${failed.id}"]`).waitFor({ timeout: WAIT });
    const statuses = await page.locator('table.jobs tbody .status').allInnerTexts();
    if (!statuses.length || statuses.some((s) => !s.includes('Failed'))) throw new Error(`rows show ${statuses.join(', ')}`);
    await shot(page, 'filtered-failed');

    await page.evaluate(() => (window.location.hash = '#/jobs?limit=25'));
    await page.locator('table.jobs tbody tr').nth(24).waitFor({ timeout: WAIT });
    const firstPage = await page.locator('table.jobs tbody tr').first().getAttribute('data-id');
    await page.getByRole('button', { name: 'Older →' }).first().click();
    await page.waitForURL(/cursor=/, { timeout: WAIT });
    // the new page's rows and its pager come with the same answer
    await page.locator('.pager', { hasText: 'Page 2' }).first().waitFor({ timeout: WAIT });
    if (await page.locator(`tr[data-id="${firstPage}"]`).count()) throw new Error('page 2 shows the first job of page 1');
    await page.locator('table.jobs tbody tr').first().waitFor({ timeout: WAIT });
    await shot(page, 'page-2');
    await page.getByRole('button', { name: '← Newer' }).first().click();
    await page.locator(`tr[data-id="${firstPage}"]`).waitFor({ timeout: WAIT });
  });

  await step('run a job from the console', async () => {
    await page.locator('#run-job').click();
    await page.locator('#create-type option[value="sleep"]').waitFor({ state: 'attached', timeout: WAIT });
    await page.locator('#create-type').selectOption('sleep');
    await page.locator('#create-data').fill('{"duration_ms": "1500"}');
    await shot(page, 'run-a-job-dialog');
    await page.locator('dialog button[type=submit]').click();
    await page.waitForURL(/#\/jobs\/[a-z0-9]{26}$/, { timeout: WAIT });
    await page.locator('.job-title .status-completed').waitFor({ timeout: WAIT });
    const data = await text(page, '#job-data');
    if (!data.includes('1500')) throw new Error(`data shows "${data}"`);
    await shot(page, 'job-run-from-console');
  });

  await step('keyboard: / goes to the search, Tab reaches a job, Enter opens it', async () => {
    await page.evaluate(() => (window.location.hash = '#/jobs'));
    await page.locator('table.jobs').waitFor({ timeout: WAIT });
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('/');
    if (!(await page.evaluate(() => document.activeElement && document.activeElement.id === 'search'))) {
      throw new Error('"/" did not focus the search field');
    }
    let onJob = false;
    for (let i = 0; i < 30 && !onJob; i++) {
      await page.keyboard.press('Tab');
      onJob = await page.evaluate(() => document.activeElement.classList.contains('job-link'));
    }
    if (!onJob) throw new Error('Tab never reached a job in the table');
    await shot(page, 'keyboard-focus');
    const id = await page.evaluate(() => document.activeElement.textContent);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/#/jobs/${id}`, { timeout: WAIT });
  });

  await step('schedules made through the API are listed with their next run', async () => {
    hourly = await apiCall('POST', '/schedules', { name: 'Hourly noop', type: 'noop', every: 'PT1H' });
    nightly = await apiCall('POST', '/schedules', {
      name: 'Nightly failed-jobs export',
      type: 'job_export',
      data: { status: 'error' },
      cron: '30 2 * * *',
      time_zone: 'Europe/Berlin',
      misfire: 'run_once',
    });
    await page.getByRole('link', { name: 'Schedules', exact: true }).click();
    await page.waitForURL(/#\/schedules$/, { timeout: WAIT });
    // the address changes before the console's hashchange handler has marked the section: wait for it
    try {
      await page.locator('nav.nav a[aria-current=page]', { hasText: /^Schedules$/ }).waitFor({ timeout: WAIT });
    } catch {
      throw new Error('the navigation does not mark Schedules');
    }
    const row = page.locator(`tr[data-id="${hourly.id}"]`);
    await row.waitFor({ timeout: WAIT });
    const cells = await row.innerText();
    for (const expected of ['Hourly noop', 'Active', 'every hour', 'UTC', 'never', 'overlap skip', 'misfire skip']) {
      if (!cells.includes(expected)) throw new Error(`the row says "${cells}", without "${expected}"`);
    }
    if (!/in 5\d min/.test(cells)) throw new Error(`the row says "${cells}", not that it runs in about an hour`);
    const cron = await page.locator(`tr[data-id="${nightly.id}"]`).innerText();
    for (const expected of ['30 2 * * *', 'Europe/Berlin', 'misfire run once']) {
      if (!cron.includes(expected)) throw new Error(`the cron row says "${cron}", without "${expected}"`);
    }
    // the next run is the server's, shown in local time
    const shown = await page.locator(`tr[data-id="${nightly.id}"] .next-run time`).getAttribute('datetime');
    if (shown !== nightly.next_run_at) throw new Error(`next run ${shown}, the server says ${nightly.next_run_at}`);
    await shot(page, 'schedules');
  });

  await step('pause and resume a schedule from the list', async () => {
    const row = page.locator(`tr[data-id="${hourly.id}"]`);
    await row.locator('button[data-action="pause"]').click();
    await row.locator('.state-paused').waitFor({ timeout: WAIT });
    await page.locator('.toast', { hasText: 'paused' }).waitFor({ timeout: WAIT });
    if (!(await row.innerText()).includes('paused')) throw new Error('the next run does not say paused');
    let s = await apiCall('GET', `/schedules/${hourly.id}`);
    if (!s.paused || s.next_run_at !== null) throw new Error(`the server says paused=${s.paused}, next run ${s.next_run_at}`);
    await shot(page, 'schedule-paused');
    await row.locator('button[data-action="resume"]').click();
    await row.locator('.state-active').waitFor({ timeout: WAIT });
    await row.locator('.next-run time').waitFor({ timeout: WAIT });
    s = await apiCall('GET', `/schedules/${hourly.id}`);
    if (s.paused || !s.next_run_at) throw new Error(`the server says paused=${s.paused}, next run ${s.next_run_at}`);
  });

  let triggered;
  await step('run a schedule now: its job appears in its history and opens', async () => {
    await page.locator(`tr[data-id="${hourly.id}"] a.schedule-link`).click();
    await page.waitForURL(`**/#/schedules/${hourly.id}`, { timeout: WAIT });
    await page.locator('#schedule-definition').waitFor({ timeout: WAIT });
    await page.locator('#schedule-history-empty').waitFor({ timeout: WAIT });
    const definition = await text(page, '#schedule-definition');
    for (const expected of ['noop', 'every hour', 'PT1H', 'UTC', 'developer']) {
      if (!definition.includes(expected)) throw new Error(`the definition says "${definition}", without "${expected}"`);
    }
    await page.locator('#schedule-trigger').click();
    const firstRun = page.locator('#schedule-history tbody tr').first();
    await firstRun.waitFor({ timeout: WAIT });
    triggered = await firstRun.getAttribute('data-id');
    await page.locator('.toast', { hasText: triggered }).waitFor({ timeout: WAIT });
    await firstRun.locator('.status-completed').waitFor({ timeout: WAIT });
    if (!(await firstRun.innerText()).includes('run now')) throw new Error('the history does not say it was run by hand');
    // the change is recorded with who made it, and names the job
    await page.locator('#schedule-events a', { hasText: triggered }).waitFor({ timeout: WAIT });
    await page.locator('#schedule-definition .status-completed').waitFor({ timeout: WAIT }); // its last run
    await shot(page, 'schedule-detail');
    await firstRun.locator('a.job-link').click();
    await page.waitForURL(`**/#/jobs/${triggered}`, { timeout: WAIT });
    await page.locator('#job-schedule').waitFor({ timeout: WAIT });
    if ((await text(page, '#job-schedule')) !== 'Hourly noop') throw new Error(`the job names its schedule "${await text(page, '#job-schedule')}"`);
    await page.locator(`#job-events a[href="#/schedules/${hourly.id}"]`).waitFor({ timeout: WAIT });
    await shot(page, 'job-of-schedule');
    await page.locator('#job-schedule').click();
    await page.waitForURL(`**/#/schedules/${hourly.id}`, { timeout: WAIT });
    await page.locator('#schedule-history').waitFor({ timeout: WAIT });
  });

  await step('a schedule’s jobs in the jobs list, then delete a schedule', async () => {
    await page.locator('#schedule-all-jobs').click();
    await page.waitForURL(`**/#/jobs?schedule=${hourly.id}`, { timeout: WAIT });
    await page.locator(`tr[data-id="${triggered}"]`).waitFor({ timeout: WAIT });
    // the list is drawn again by its live updates: count once it has settled on one row (a list
    // of any other length for the whole wait fails, with the count it last had)
    let rows = -1;
    for (const until = Date.now() + WAIT; Date.now() < until; ) {
      rows = await page.locator('table.jobs tbody tr').count();
      if (rows === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (rows !== 1) throw new Error(`${rows} jobs listed for a schedule that made one`);
    await page.locator('#filter-schedule').waitFor({ timeout: WAIT });
    await shot(page, 'jobs-of-schedule');
    await page.evaluate((id) => (window.location.hash = `#/schedules/${id}`), nightly.id);
    await page.locator('#schedule-delete').click();
    await page.locator('#confirm-yes').click();
    await page.waitForURL(/#\/schedules$/, { timeout: WAIT });
    await page.locator('.toast', { hasText: 'deleted' }).waitFor({ timeout: WAIT });
    await page.locator(`tr[data-id="${hourly.id}"]`).waitFor({ timeout: WAIT });
    if (await page.locator(`tr[data-id="${nightly.id}"]`).count()) throw new Error('the deleted schedule is still listed');
    const res = await fetch(`${base}/api/jobserver/v1/schedules/${nightly.id}`, { headers: { Authorization: `Bearer ${adminToken}` } });
    if (res.status !== 404) throw new Error(`the server still has it: ${res.status}`);
  });

  await step('a job’s dependencies link to them with their statuses', async () => {
    const done = await createJob('noop', { for: 'dependency' });
    slowDependency = await createJob('sleep', { duration_ms: '30000' });
    await waitForJob(done.id, (j) => j.status === 'completed', 'completed');
    await waitForJob(slowDependency.id, (j) => j.status === 'running', 'running');
    const blocked = await apiCall('POST', '/jobs', { type: 'noop', depends_on: [done.id, slowDependency.id] });
    await page.evaluate((id) => (window.location.hash = `#/jobs/${id}`), blocked.id);
    await page.locator('.job-title .status-blocked').waitFor({ timeout: WAIT });
    await page.locator(`#job-deps li[data-id="${done.id}"] .status-completed`).waitFor({ timeout: WAIT });
    await page.locator(`#job-deps li[data-id="${slowDependency.id}"] .status-running`).waitFor({ timeout: WAIT });
    const clock = await text(page, '#run-clock');
    if (!clock.includes('Waiting for 1 of 2')) throw new Error(`the status line says "${clock}"`);
    await shot(page, 'job-with-dependencies');
    await page.locator(`#job-deps a[href="#/jobs/${slowDependency.id}"]`).click();
    await page.waitForURL(`**/#/jobs/${slowDependency.id}`, { timeout: WAIT });
    await showsJob(page, slowDependency.id);
    await page.locator('.job-title .status-running').waitFor({ timeout: WAIT });
  });

  await step('the API explorer shows the OpenAPI document with the token entered', async () => {
    await page.goto(`${base}/api-docs/`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: WAIT });
    const title = await text(page, '.swagger-ui .info .title');
    if (!title.includes('Jobserver')) throw new Error(`title is "${title}"`);
    await page.locator('.swagger-ui .btn.authorize').waitFor({ timeout: WAIT });
    const note = await text(page, '#token-note');
    if (!note.includes('signed in')) throw new Error(`the page says "${note}"`);
    await shot(page, 'api-explorer');
  });

  await step('sign out forgets the token', async () => {
    await page.goto(`${base}/`);
    await page.locator('#sign-out').click();
    await page.locator('#token').waitFor({ timeout: WAIT });
    if (await page.evaluate(() => sessionStorage.getItem('jobserver.token'))) throw new Error('the token is still stored');
    await page.reload();
    await page.locator('#token').waitFor({ timeout: WAIT });
  });

  // the server answers 401 to a bad token, which Chromium logs as a failed resource load
  await step(
    'a refused token says why',
    async () => {
      await page.locator('#token').fill(adminToken.slice(0, -6) + 'AAAAAA');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('.signin-message.error').waitFor({ timeout: WAIT });
      const message = await text(page, '.signin-message');
      if (!/refused your token/.test(message)) throw new Error(`the message is "${message}"`);
      await shot(page, 'refused-token');
    },
    { allow: [/status of 401/] },
  );

  await step('a read-only token is offered no cancel, retry, delete or run', async () => {
    const reader = await newPage();
    openPages.push(reader);
    await reader.goto(`${base}/`);
    await reader.locator('#token').fill(readToken);
    await reader.getByRole('button', { name: 'Sign in' }).click();
    await reader.locator('.badge-readonly').waitFor({ timeout: WAIT });
    if (await reader.locator('#run-job').count()) throw new Error('"Run a job" is offered');
    await reader.evaluate((id) => (window.location.hash = `#/jobs/${id}`), runningForReader.id);
    await reader.locator('.job-title .status-running').waitFor({ timeout: WAIT });
    for (const action of ['#action-cancel', '#action-retry', '#action-delete', '#action-copy']) {
      if (await reader.locator(action).count()) throw new Error(`${action} is offered to a reader`);
    }
    await shot(reader, 'read-only-running-job');
    await reader.evaluate((id) => (window.location.hash = `#/jobs/${id}`), failed.id);
    await reader.locator('#job-error').waitFor({ timeout: WAIT });
    if (await reader.locator('#action-retry').count()) throw new Error('retry is offered to a reader');
    await reader.context().close();
  });

  await step('a read-only token is offered no pause, resume, run now or delete of a schedule', async () => {
    const reader = await newPage();
    openPages.push(reader);
    await reader.goto(`${base}/`);
    await reader.locator('#token').fill(readToken);
    await reader.getByRole('button', { name: 'Sign in' }).click();
    await reader.locator('.badge-readonly').waitFor({ timeout: WAIT });
    await reader.getByRole('link', { name: 'Schedules', exact: true }).click();
    await reader.locator(`tr[data-id="${hourly.id}"] .next-run time`).waitFor({ timeout: WAIT });
    if (await reader.locator('#schedules-table button').count()) throw new Error('the list offers a reader a button');
    await shot(reader, 'read-only-schedules');
    await reader.locator(`tr[data-id="${hourly.id}"] a.schedule-link`).click();
    await reader.locator('#schedule-history tbody tr').first().waitFor({ timeout: WAIT });
    for (const action of ['#schedule-pause', '#schedule-resume', '#schedule-trigger', '#schedule-delete']) {
      if (await reader.locator(action).count()) throw new Error(`${action} is offered to a reader`);
    }
    await reader.context().close();
  });
} catch {
  exitCode = 1;
} finally {
  // leave nothing running behind: the reader's job is canceled, the browser closed
  if (runningForReader) await apiCall('POST', `/jobs/${runningForReader.id}/cancel`).catch(() => {});
  if (slowDependency) await apiCall('POST', `/jobs/${slowDependency.id}/cancel`).catch(() => {});
  if (hourly) await apiCall('DELETE', `/schedules/${hourly.id}`).catch(() => {});
  if (nightly) await apiCall('DELETE', `/schedules/${nightly.id}`).catch(() => {});
  await browser.close();
}

const passed = results.filter((r) => r.ok).length;
const failedCount = results.length - passed;
console.log(`screenshots in ${outDir}`);
console.log(`${passed} passed, ${failedCount} failed`);
process.exit(exitCode || failedCount ? 1 : 0);
