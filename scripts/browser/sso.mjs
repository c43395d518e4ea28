// The console's single sign-on in Debian's Chromium, through Keycloak's own login page, with a
// screenshot of every step; scripts/keycloak/run.sh starts Keycloak (realm-jobserver.json) and
// Jobserver with JOBSERVER_OIDC_CLIENT_ID, then runs this. Any error in the browser console fails
// the step it happened in.
//
//   SSO_PASSWORD=<the realm users' password> node sso.mjs <console url> <issuer> <screenshot dir>
//
// Ends with "N passed, N failed" and exits non-zero when a step failed.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [base, issuer, outDir] = process.argv.slice(2);
const password = process.env.SSO_PASSWORD;
if (!base || !issuer || !outDir || !password) {
  console.error('usage: SSO_PASSWORD=… node sso.mjs <console url> <issuer> <screenshot dir>');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const idpOrigin = new URL(issuer).origin;
const idpHost = new URL(issuer).host;

const VIEWPORT = { width: 1366, height: 768 };
const WAIT = 20000; // Keycloak's first login page is built on first use; the machine is shared

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light' });
const page = await context.newPage();

const consoleErrors = [];
let currentStep = '(setup)';
page.on('console', (msg) => {
  if (msg.type() === 'error') {
    const where = msg.location() && msg.location().url ? ` (${msg.location().url})` : '';
    consoleErrors.push({ step: currentStep, text: msg.text() + where });
  }
});
page.on('pageerror', (err) => consoleErrors.push({ step: currentStep, text: `uncaught: ${err.message}` }));

let shotNo = 0;
async function shot(name) {
  shotNo++;
  await page.screenshot({ path: path.join(outDir, `${String(shotNo).padStart(2, '0')}-${name}.png`) });
}

const results = [];
async function step(name, fn, { allow = [] } = {}) {
  currentStep = name;
  const started = Date.now();
  const errorsBefore = consoleErrors.length;
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 150));
    const fresh = consoleErrors.slice(errorsBefore).filter((e) => !allow.some((re) => re.test(e.text)));
    if (fresh.length) throw new Error(`browser console errors:\n    ${fresh.map((e) => e.text).join('\n    ')}`);
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${err.message}`);
    await page.screenshot({ path: path.join(outDir, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-')}.png`) }).catch(() => {});
    throw err;
  }
}

const text = (selector) => page.locator(selector).first().innerText({ timeout: WAIT });
const storage = () =>
  page.evaluate(() => ({
    token: sessionStorage.getItem('jobserver.token'),
    pending: sessionStorage.getItem('jobserver.sso.pending'),
    session: sessionStorage.getItem('jobserver.sso.session'),
    local: localStorage.length,
    cookie: document.cookie,
  }));

/** Clicks "Sign in with SSO" and waits for Keycloak's own login form; returns the request's URL. */
async function toKeycloakLogin() {
  const request = page.waitForRequest((r) => r.url().startsWith(idpOrigin) && r.url().includes('/protocol/openid-connect/auth'), {
    timeout: WAIT,
  });
  await page.locator('#sso-sign-in').click();
  const authorize = new URL((await request).url());
  await page.locator('#username').waitFor({ timeout: WAIT });
  return authorize;
}

/** Fills Keycloak's login form and waits to be back at the console. */
async function keycloakSignIn(user) {
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(password);
  await page.locator('#kc-login').click();
  await page.waitForURL((url) => url.origin === new URL(base).origin, { timeout: WAIT });
}

/** Back at the console, the address holds no code or state, only the view it started from. */
function assertCleanAddress(expectedHash = '') {
  const url = new URL(page.url());
  if (url.search || url.hash !== expectedHash) throw new Error(`the address is ${page.url()}, expected ${base}/${expectedHash}`);
}

let authorize; // the authorization request of the first sign-in
let rita; // what the tab keeps once rita is signed in

let exitCode = 0;
try {
  await step('the sign-in page offers "Sign in with SSO"; its policy lets it fetch from the IdP only', async () => {
    const response = await page.goto(`${base}/#/jobs`);
    const policy = response.headers()['content-security-policy'] || '';
    if (!policy.includes(`connect-src 'self' ${idpOrigin};`)) throw new Error(`Content-Security-Policy: ${policy}`);
    await page.locator('#sso-sign-in').waitFor({ timeout: WAIT });
    const help = await text('#sso-help');
    if (!help.includes(idpHost)) throw new Error(`the SSO help says "${help}"`);
    if (!(await page.locator('#token').isVisible())) throw new Error('the token field is gone');
    await shot('sso-sign-in');
  });

  await step("the button leads to Keycloak's own login page: code, PKCE S256, state, nonce", async () => {
    authorize = await toKeycloakLogin();
    const p = Object.fromEntries(authorize.searchParams);
    const expect = { response_type: 'code', client_id: 'jobserver-console', redirect_uri: `${base}/`, code_challenge_method: 'S256', scope: 'openid profile' };
    for (const [key, value] of Object.entries(expect)) {
      if (p[key] !== value) throw new Error(`${key} is "${p[key]}", expected "${value}"`);
    }
    for (const key of ['state', 'nonce', 'code_challenge']) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(p[key] || '')) throw new Error(`${key} is "${p[key]}"`);
    }
    if (authorize.search.includes('code_verifier')) throw new Error('the verifier went to the IdP in the request');
    await shot('keycloak-login');
  });

  await step('rita (read_jobs) signs in there and is back in the view she started from, by name', async () => {
    await keycloakSignIn('rita');
    await page.locator('.user-name').waitFor({ timeout: WAIT });
    const who = await text('.user-name');
    if (!who.includes('Rita Reader')) throw new Error(`the header says "${who}"`);
    assertCleanAddress('#/jobs');
    rita = await storage();
    if (!rita.token || rita.token.split('.').length !== 3) throw new Error('no access token in sessionStorage');
    if (rita.pending) throw new Error('the PKCE verifier and state are still kept after use');
    if (!rita.session || !JSON.parse(rita.session).idToken) throw new Error('the ID token is not kept for the sign-out');
    if (rita.local !== 0 || rita.cookie.includes(rita.token)) throw new Error('the token was kept outside sessionStorage');
    // the token is Keycloak's, for her: the server answers with her subject and role
    const me = await (await fetch(`${base}/api/jobserver/v1/me`, { headers: { Authorization: `Bearer ${rita.token}` } })).json();
    if (JSON.stringify(me.roles) !== '["read_jobs"]' || me.can_write) throw new Error(`/me says ${JSON.stringify(me)}`);
  });

  await step('rita sees the jobs, read-only', async () => {
    await page.locator('table.jobs tbody tr').first().waitFor({ timeout: WAIT });
    await page.locator('.badge-readonly').waitFor({ timeout: WAIT });
    if (await page.locator('#run-job').count()) throw new Error('"Run a job" is offered to a reader');
    await shot('rita-jobs');
    await page.reload();
    await page.locator('table.jobs tbody tr').first().waitFor({ timeout: WAIT });
    if (!(await text('.user-name')).includes('Rita Reader')) throw new Error('a reload lost her name');
  });

  await step('when the server refuses her token (as when it expires) the console asks again; SSO returns without a password', async () => {
    // a token the server refuses, as it refuses an expired one: the signature no longer matches
    await page.evaluate(() => {
      const t = sessionStorage.getItem('jobserver.token');
      sessionStorage.setItem('jobserver.token', t.slice(0, -6) + (t.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'));
    });
    // the jobs view polls every few seconds: its next request meets the 401
    await page.locator('#sso-sign-in').waitFor({ timeout: WAIT });
    const message = await text('#signin-message');
    if (!message.startsWith('Your sign-in has expired. Sign in with SSO again')) throw new Error(`the page says "${message}"`);
    await shot('expired');
    await page.locator('#sso-sign-in').click(); // nothing is filled in at Keycloak: its session still holds
    await page.locator('.user-name').waitFor({ timeout: WAIT });
    if (!(await text('.user-name')).includes('Rita Reader')) throw new Error('she is not signed in again');
    rita = await storage();
  }, { allow: [/status of 401/] });

  await step("the sign-in's answer cannot be used again, and a stray one does not sign her out", async () => {
    await page.goto(`${base}/?code=replayed&state=${authorize.searchParams.get('state')}#/jobs`);
    await page.locator('.toast-error').waitFor({ timeout: WAIT });
    const toast = await text('.toast-error');
    if (!toast.includes('not asked for in this tab')) throw new Error(`the notice says "${toast}"`);
    if (!(await text('.user-name')).includes('Rita Reader')) throw new Error('she was signed out');
    if ((await storage()).token !== rita.token) throw new Error('her token changed');
    assertCleanAddress('');
    await shot('replayed-answer');
  });

  await step('sign out ends the Keycloak session too: the next sign-in asks for the password', async () => {
    await page.locator('#sign-out').click();
    await page.waitForURL((url) => url.origin === new URL(base).origin && !url.pathname.includes('logout'), { timeout: WAIT });
    await page.locator('#sso-sign-in').waitFor({ timeout: WAIT });
    const message = await text('#signin-message');
    if (message !== `You are signed out of Jobserver and of ${idpHost}.`) throw new Error(`the page says "${message}"`);
    const left = await storage();
    if (left.token || left.session || left.pending) throw new Error('something of the session is still kept');
    // rita's token is good until it expires (the server cannot know of the sign-out); the tab forgot it
    await shot('signed-out');
    await toKeycloakLogin();
  });

  await step('nick, who has no roles, is told so in words, and may leave Keycloak', async () => {
    await keycloakSignIn('nick');
    await page.locator('#sso-sign-out').waitFor({ timeout: WAIT });
    const message = await text('#signin-message');
    if (!message.includes(`signed in at ${idpHost} as Nick Nobody, but that account has none of Jobserver's roles`)) {
      throw new Error(`the page says "${message}"`);
    }
    if ((await storage()).token) throw new Error("nick's token is kept");
    assertCleanAddress('');
    await shot('no-roles');
    await page.locator('#sso-sign-out').click();
    await page.waitForURL((url) => url.origin === new URL(base).origin && !url.pathname.includes('logout'), { timeout: WAIT });
    await page.locator('#sso-sign-in').waitFor({ timeout: WAIT });
    const after = await text('#signin-message');
    if (!after.includes(`signed out of ${idpHost}`)) throw new Error(`after signing out of Keycloak the page says "${after}"`);
  }, { allow: [/status of 403/] });

  await step("Keycloak's error answer is said in words", async () => {
    const request = await toKeycloakLogin();
    // no session at Keycloak and no prompt allowed: it answers error=login_required
    request.searchParams.set('prompt', 'none');
    await page.goto(request.href);
    await page.waitForURL((url) => url.origin === new URL(base).origin, { timeout: WAIT });
    await page.locator('.signin-message.error').waitFor({ timeout: WAIT });
    const message = await text('#signin-message');
    if (!message.startsWith('The IdP needs you to sign in on its page first.')) throw new Error(`the page says "${message}"`);
    assertCleanAddress('');
    await shot('idp-error');
  });
} catch {
  exitCode = 1;
}
await browser.close();
const passed = results.filter((r) => r.ok).length;
const failedCount = results.length - passed;
console.log(`screenshots in ${outDir}`);
console.log(`${passed} passed, ${failedCount} failed`);
process.exit(exitCode || failedCount ? 1 : 0);
