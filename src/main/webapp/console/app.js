// The Jobserver console: sign-in, then a shell (header, navigation, live light) around one view at
// a time, chosen by the address's hash (#/, #/jobs?…, #/jobs/<id>, #/schedules, #/schedules/<id>,
// #/workers)
// so that back, forward, bookmarks and links to a job or a schedule work. It talks only to the
// native API (api.js), and for single sign-on to the IdP (sso.js).

import {
  api,
  forgetToken,
  setUnauthorizedHandler,
  storedToken,
  storeToken,
  takeTokenFromAddress,
} from './api.js';
import { openCreateDialog } from './create.js';
import { renderJob } from './job.js';
import { renderJobs } from './jobs.js';
import { every, liveIndicator, staleBanner } from './live.js';
import { renderOverview } from './overview.js';
import { renderSchedule, renderSchedules } from './schedules.js';
import { renderWorkers } from './workers.js';
import { describeRefusal, idpName, renderSignIn } from './signin.js';
import { callbackInAddress, endIdpSession, finishSignIn, forgetSsoSession, ssoSession, takeNotice } from './sso.js';
import { h } from './ui.js';

const root = document.getElementById('app');

const session = {
  me: null, // {subject, roles, can_write}
  typesPromise: null,
};

let currentView = null; // {stop()} of the view on screen
let lastPath = null;
let main = null;
let nav = null;

// Views in the navigation.
const SECTIONS = [
  { path: '/', label: 'Overview', matches: (p) => p === '/' },
  { path: '/jobs', label: 'Jobs', matches: (p) => p.startsWith('/jobs') },
  { path: '/schedules', label: 'Schedules', matches: (p) => p.startsWith('/schedules') },
  { path: '/workers', label: 'Workers', matches: (p) => p === '/workers' },
];

function parseRoute() {
  const hash = window.location.hash.replace(/^#/, '');
  const [rawPath, rawQuery = ''] = (hash || '/').split('?');
  const path = rawPath.startsWith('/') ? rawPath : '/';
  return { path, params: new URLSearchParams(rawQuery) };
}

export function navigate(path, params) {
  const q = params && params.toString();
  const target = `#${path}${q ? '?' + q : ''}`;
  if (window.location.hash === target) render();
  else window.location.hash = target;
}

/** Changes the address for the current view without rendering it again (filters, paging). */
export function replaceRoute(path, params) {
  const q = params && params.toString();
  history.replaceState(null, '', `${window.location.pathname}#${path}${q ? '?' + q : ''}`);
}

export function types() {
  if (!session.typesPromise) {
    session.typesPromise = api.types().then(
      (list) =>
        (Array.isArray(list) ? list : list.types || [])
          .map((t) => (typeof t === 'string' ? { type: t } : t))
          .sort((a, b) => a.type.localeCompare(b.type)),
      (err) => {
        session.typesPromise = null; // try again next time
        throw err;
      },
    );
  }
  return session.typesPromise;
}

// --- notices -------------------------------------------------------------------------------------

let toasts = null;

/** A short message after an action; errors stay until dismissed, others fade after a while. */
export function toast(text, kind = 'info') {
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss' }, '×');
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('span', {}, text), close);
  close.addEventListener('click', () => el.remove());
  toasts.append(el);
  if (kind !== 'error') setTimeout(() => el.remove(), 6000);
}

// --- shell ---------------------------------------------------------------------------------------

function renderShell() {
  const me = session.me;
  nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Main' },
    SECTIONS.map((s) => h('a', { href: `#${s.path}`, dataset: { path: s.path } }, s.label)),
    h('a', { href: 'api-docs/', class: 'nav-external' }, 'API explorer'),
  );
  const roles = (me.roles || []).join(', ') || 'no roles';
  // signed in through SSO, the ID token names the person; a pasted token has only its subject
  const sso = ssoSession();
  const name = (sso && sso.name) || me.subject || 'unknown';
  const who = [sso && sso.username ? `User ${sso.username} at ${idpName(sso.issuer)}` : null, `Subject: ${me.subject}`, `Roles: ${roles}`];
  const user = h(
    'div',
    { class: 'user' },
    me.can_write
      ? h(
          'button',
          { type: 'button', class: 'primary', id: 'run-job', onclick: () => openCreateDialog({ types, toast, navigate }) },
          'Run a job',
        )
      : h('span', { class: 'badge badge-readonly', title: 'Your roles allow reading only' }, 'Read-only'),
    h('span', { class: 'user-name', title: who.filter(Boolean).join(' · ') }, h('span', { class: 'muted' }, 'Signed in as '), name),
    h('button', { type: 'button', id: 'sign-out', onclick: () => signOutByPerson() }, 'Sign out'),
  );
  main = h('main', { id: 'main', tabindex: '-1' });
  toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
  root.replaceChildren(
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'Jobserver'),
      nav,
      liveIndicator(),
      user,
    ),
    staleBanner(),
    main,
    toasts,
  );
}

function render() {
  if (!session.me) return;
  const previousPath = lastPath;
  if (currentView) currentView.stop();
  currentView = null;
  const { path, params } = parseRoute();
  for (const a of nav.querySelectorAll('a[data-path]')) {
    const section = SECTIONS.find((s) => s.path === a.dataset.path);
    if (section.matches(path)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx = { me: session.me, params, types, toast, navigate, replaceRoute, every };
  const jobMatch = path.match(/^\/jobs\/(.+)$/);
  const scheduleMatch = path.match(/^\/schedules\/(.+)$/);
  main.replaceChildren();
  if (path === '/') {
    document.title = 'Overview · Jobserver';
    currentView = renderOverview(main, ctx);
  } else if (path === '/jobs') {
    document.title = 'Jobs · Jobserver';
    currentView = renderJobs(main, ctx);
  } else if (jobMatch) {
    const id = decodeURIComponent(jobMatch[1]);
    document.title = `Job ${id} · Jobserver`;
    currentView = renderJob(main, id, ctx);
  } else if (path === '/schedules') {
    document.title = 'Schedules · Jobserver';
    currentView = renderSchedules(main, ctx);
  } else if (path === '/workers') {
    document.title = 'Workers · Jobserver';
    currentView = renderWorkers(main, ctx);
  } else if (scheduleMatch) {
    const id = decodeURIComponent(scheduleMatch[1]);
    document.title = `Schedule ${id} · Jobserver`;
    currentView = renderSchedule(main, id, ctx);
  } else {
    document.title = 'Not found · Jobserver';
    main.append(
      h('section', { class: 'empty' }, h('h1', {}, 'There is no such page'), h('p', {}, h('a', { href: '#/' }, 'Go to the overview'))),
    );
  }
  lastPath = path;
  if (previousPath !== path) window.scrollTo(0, 0);
  // a link that was followed by keyboard is gone: carry on from the top of the new content
  if (!document.activeElement || document.activeElement === document.body) main.focus({ preventScroll: true });
}

function signedIn(token, me) {
  storeToken(token);
  session.me = me;
  session.typesPromise = null;
  renderShell();
  render();
}

/** The sign-in page; a token pasted there replaces any SSO session of this tab. */
function showSignIn(options = {}) {
  renderSignIn(root, {
    ...options,
    onSignedIn: (token, me) => {
      forgetSsoSession();
      signedIn(token, me);
    },
  });
}

function stopSession() {
  if (currentView) currentView.stop();
  currentView = null;
  forgetToken();
  session.me = null;
  session.typesPromise = null;
}

/** The server refused the token (it expired): back to the sign-in page, saying why. */
function signOut(notice) {
  const sso = ssoSession();
  stopSession();
  forgetSsoSession();
  showSignIn({
    notice: sso
      ? `Your sign-in has expired. Sign in with SSO again: while your session at ${idpName(sso.issuer)} lasts, it will not ask for your password.`
      : notice,
  });
}

/** The person's "Sign out": forgets the token, and ends the session at the IdP when there is one. */
function signOutByPerson() {
  const sso = ssoSession();
  stopSession();
  if (sso) {
    const idp = idpName(sso.issuer);
    // the browser leaves for the IdP's sign-out page and comes back to the sign-in page
    root.replaceChildren(h('p', { class: 'loading', role: 'status' }, `Signing out at ${idp}…`));
    if (endIdpSession(`You are signed out of Jobserver and of ${idp}.`)) return;
    showSignIn({
      info: `You are signed out of Jobserver. ${idp} publishes no sign-out address, so your session there stays open until you end it there.`,
    });
    return;
  }
  showSignIn({ info: 'You are signed out.' });
}

async function boot() {
  let ssoProblem = null;
  if (callbackInAddress()) {
    // the IdP sent the person back to /?code=…&state=… (or ?error=…)
    root.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Completing single sign-on…'));
    try {
      const token = await finishSignIn();
      if (token) storeToken(token);
    } catch (err) {
      ssoProblem = err.message || String(err);
      // an answer that fails (or a stray link to one) does not end a session the tab already has
      if (!storedToken()) {
        forgetSsoSession();
        showSignIn({ notice: ssoProblem });
        return;
      }
    }
  }
  const fromLink = takeTokenFromAddress();
  if (fromLink) {
    forgetSsoSession();
    storeToken(fromLink);
  }
  const token = storedToken();
  if (!token) {
    showSignIn({ info: takeNotice() });
    return;
  }
  root.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Signing in…'));
  try {
    signedIn(token, await api.me(token));
    if (ssoProblem) toast(`A sign-in answer in the address was refused: ${ssoProblem} You are still signed in as before.`, 'error');
  } catch (err) {
    if (err.status === 401 && !storedToken()) return; // the unauthorized handler has said why
    forgetToken();
    const sso = ssoSession();
    if (sso && err.status === 403) {
      // signed in at the IdP with an account Jobserver does not let in: offer to leave the IdP too
      const idp = idpName(sso.issuer);
      showSignIn({
        notice: describeRefusal(err, sso.name || sso.username, sso.issuer),
        ssoSignOut: () => endIdpSession(`You are signed out of ${idp}. Sign in with SSO to use another account.`),
      });
      return;
    }
    forgetSsoSession();
    showSignIn({ notice: describeRefusal(err) });
  }
}

setUnauthorizedHandler((message) => signOut(`${message} Sign in again.`));
window.addEventListener('hashchange', () => {
  // a console link opened in a signed-in tab brings a (maybe different) token
  if (window.location.hash.startsWith('#token=')) {
    if (currentView) currentView.stop();
    boot();
  } else {
    render();
  }
});

document.addEventListener('keydown', (event) => {
  const target = event.target;
  const typing = target.closest && target.closest('input, textarea, select, [contenteditable]');
  if (event.key === '/' && !typing && session.me && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    const search = document.getElementById('search');
    if (search) search.focus();
    else navigate('/jobs', new URLSearchParams({ focus: 'search' }));
  }
});

document.addEventListener('click', (event) => {
  const skip = event.target.closest && event.target.closest('.skip-link');
  if (skip) {
    event.preventDefault(); // the hash is the route: jump by focus instead
    const target = document.getElementById('main');
    if (target) target.focus();
  }
});

boot();
