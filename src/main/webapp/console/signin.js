// The sign-in page: a bearer token in a field. Single sign-on will add its button in the slot
// marked below (GET /api/jobserver/v1/auth names the issuer and client id when it is configured).

import { api, looksLikeJwt } from './api.js';
import { h } from './ui.js';

/**
 * Shows the sign-in form in `root`. `onSignedIn(token, me)` is called once the server has
 * accepted the token; `notice` is a message to show first (why the person was signed out).
 */
export function renderSignIn(root, { notice, onSignedIn }) {
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
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');

  const show = (text, kind) => {
    message.textContent = text || '';
    message.className = `signin-message${kind ? ' ' + kind : ''}`;
  };
  if (notice) show(notice, 'error');

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
      show(err.describe ? err.describe() : String(err), 'error');
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
        // SSO: a "Sign in with single sign-on" button goes here when the server names an IdP
        h('div', { class: 'signin-sso', id: 'signin-sso', hidden: true }),
        h('label', { for: 'token' }, 'Bearer token'),
        field,
        h(
          'p',
          { class: 'help', id: 'token-help' },
          'A JWT from your single sign-on. On a development server, open the console link that ',
          h('code', {}, 'mvn -Prun'),
          ' prints instead. The token is kept in this tab only and forgotten when you sign out or close it.',
        ),
        message,
        h('div', { class: 'signin-actions' }, button, h('a', { href: '/api-docs/' }, 'API explorer')),
      ),
    ),
  );
  field.focus();
}
