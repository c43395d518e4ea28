// The sign-in page: "Sign in with SSO" when the server names the console's client at an IdP
// (GET /api/jobserver/v1/auth; see sso.js), and always a field for a bearer token.

import { api, looksLikeJwt } from './api.js';
import { startSignIn, unsupportedReason } from './sso.js';
import { h } from './ui.js';

/** The IdP as a person knows it: the host of its address. */
export function idpName(issuer) {
  try {
    return new URL(issuer).host;
  } catch {
    return 'the IdP';
  }
}

/**
 * Why the server did not let a token in, in words. `who` is the name the IdP gave (SSO), else
 * null. A 403 means the token is good but carries none of Jobserver's roles.
 */
export function describeRefusal(err, who, issuer) {
  if (err && err.status === 403) {
    const roles = 'Ask an administrator for read_jobs (to see jobs) or manage_jobs (to run them too).';
    if (who) {
      return (
        `You are signed in at ${idpName(issuer)} as ${who}, but that account has none of Jobserver's roles, ` +
        `so there is nothing here it may see. ${roles} To use another account, sign out of ${idpName(issuer)} first.`
      );
    }
    return (
      "The server accepted the token, but it carries none of Jobserver's roles (read_jobs, manage_jobs or a " +
      `TAIPY_ role), so there is nothing here it may see. ${roles}`
    );
  }
  return err && err.describe ? err.describe() : String(err && err.message ? err.message : err);
}

/**
 * Shows the sign-in page in `root`. `onSignedIn(token, me)` is called once the server has
 * accepted a pasted token. `notice` is an error to show first (why the person is here), `info` a
 * plain message (signed out). `ssoSignOut`, when given, is offered as a button: the person is
 * still signed in at the IdP (with an account Jobserver does not let in).
 */
export function renderSignIn(root, { notice, info, onSignedIn, ssoSignOut }) {
  const message = h('p', { class: 'signin-message', role: 'alert', id: 'signin-message' });
  const field = h('textarea', {
    id: 'token',
    name: 'token',
    rows: '4',
    required: true,
    spellcheck: 'false',
    autocomplete: 'off',
    autocapitalize: 'off',
    placeholder: 'eyJhbGciOiJSUzI1NiIs…',
    'aria-describedby': 'token-help signin-message',
  });
  const button = h('button', { type: 'submit', class: 'primary', id: 'token-sign-in' }, 'Sign in');
  const ssoSlot = h('div', { class: 'signin-sso', id: 'signin-sso', hidden: true });

  const show = (text, kind) => {
    message.textContent = text || '';
    message.className = `signin-message${kind ? ' ' + kind : ''}`;
  };
  if (notice) show(notice, 'error');
  else if (info) show(info, 'info');

  const submit = async (event) => {
    event.preventDefault();
    const token = field.value.trim().replace(/^Bearer\s+/i, '');
    if (!token) {
      show('Paste a token first.', 'error');
      field.focus();
      return;
    }
    if (!looksLikeJwt(token)) {
      show('That is not a JSON Web Token: it should be three parts separated by dots.', 'error');
      field.focus();
      return;
    }
    button.disabled = true;
    show('Checking the token with the server…');
    try {
      const me = await api.me(token);
      onSignedIn(token, me);
    } catch (err) {
      show(describeRefusal(err), 'error');
      button.disabled = false;
      field.focus();
    }
  };
  field.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
  });

  root.replaceChildren(
    h(
      'main',
      { class: 'signin', id: 'main', tabindex: '-1' },
      h(
        'form',
        { class: 'signin-card', onsubmit: submit, 'aria-labelledby': 'signin-title' },
        h('h1', { id: 'signin-title' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'Jobserver'),
        h('p', { class: 'muted' }, 'Sign in to see and run jobs.'),
        // why the person is here (signed out, refused) reads first; it also says what a pasted token got
        message,
        ssoSlot,
        h('label', { for: 'token' }, 'Bearer token'),
        field,
        h(
          'p',
          { class: 'help', id: 'token-help' },
          'A JWT from your single sign-on. On a development server, open the console link that ',
          h('code', {}, 'mvn -Prun'),
          ' prints instead. The token is kept in this tab only and forgotten when you sign out or close it.',
        ),
        h('div', { class: 'signin-actions' }, button, h('a', { href: 'api-docs/' }, 'API explorer')),
      ),
    ),
  );
  field.focus();
  offerSso(ssoSlot, { field, button, show, ssoSignOut });
}

/** Fills the SSO slot when the server names a client at an IdP; leaves it hidden otherwise. */
async function offerSso(slot, { field, button, show, ssoSignOut }) {
  let config;
  try {
    config = await api.auth();
  } catch {
    return; // the token field still works; the server's trouble shows when it is used
  }
  if (!config || !config.client_id || !config.issuer || !slot.isConnected) return;
  const idp = idpName(config.issuer);
  const unsupported = unsupportedReason();
  const sso = h('button', { type: 'button', class: 'primary sso-button', id: 'sso-sign-in', disabled: !!unsupported }, 'Sign in with SSO');
  sso.addEventListener('click', async () => {
    sso.disabled = true;
    show(`Opening the sign-in page of ${idp}…`);
    try {
      await startSignIn(config); // the browser leaves for the IdP
    } catch (err) {
      show(err.message || String(err), 'error');
      sso.disabled = false;
    }
  });
  const signOutOfIdp = ssoSignOut
    ? h('button', { type: 'button', id: 'sso-sign-out', onclick: ssoSignOut }, `Sign out of ${idp}`)
    : null;
  slot.replaceChildren(
    h('div', { class: 'signin-sso-actions' }, sso, signOutOfIdp),
    h('p', { class: 'help', id: 'sso-help' }, unsupported || `Through your organisation's sign-in at ${idp}.`),
    h('p', { class: 'signin-or' }, h('span', {}, 'or paste a token')),
  );
  slot.hidden = false;
  button.classList.remove('primary'); // one main action on the page: SSO
  // move the focus to SSO unless the person has started on the token already
  if (document.activeElement === field && !field.value && !unsupported) sso.focus();
}
