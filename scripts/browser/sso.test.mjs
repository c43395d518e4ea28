// The console's single sign-on logic, without a browser or an IdP: `node --test` (scripts/browser/run.sh
// and scripts/keycloak/run.sh run it). The whole flow against Keycloak is scripts/browser/sso.mjs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeRefusal } from '../../src/main/webapp/console/signin.js';
import {
  authorizationUrl,
  base64url,
  checkDiscovery,
  checkIdToken,
  describeIdpError,
  describeTokenError,
  discoveryUrl,
  displayName,
  endSessionUrl,
  jwtClaims,
  pkceChallenge,
  randomString,
  readCallback,
  scopeFor,
  SsoError,
} from '../../src/main/webapp/console/sso.js';

const ISSUER = 'https://sso.example.com/realms/corp';

test("the S256 challenge of RFC 7636's example verifier (appendix B)", async () => {
  assert.equal(
    await pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  );
});

test('a verifier shorter than 43 characters or with other characters is refused', async () => {
  await assert.rejects(pkceChallenge('short'), /43 to 128/);
  await assert.rejects(pkceChallenge('a'.repeat(42)), /43 to 128/);
  await assert.rejects(pkceChallenge('a'.repeat(42) + '+'), /43 to 128/);
  await assert.rejects(pkceChallenge('a'.repeat(129)), /43 to 128/);
  assert.match(await pkceChallenge('a'.repeat(128)), /^[A-Za-z0-9_-]{43}$/);
});

test('verifiers, states and nonces are 43 random base64url characters', () => {
  const seen = new Set();
  for (let i = 0; i < 100; i++) {
    const s = randomString();
    assert.match(s, /^[A-Za-z0-9_-]{43}$/);
    seen.add(s);
  }
  assert.equal(seen.size, 100);
  assert.equal(base64url(Uint8Array.from([251, 255, 191])), '-_-_');
});

const pending = { state: 'state-1', issuer: ISSUER, nonce: 'nonce-1', clientId: 'jobserver-console' };
const params = (query) => new URLSearchParams(query);

test('an address without code or error is not an answer of the IdP', () => {
  assert.equal(readCallback(params(''), pending), null);
  assert.equal(readCallback(params('state=state-1'), pending), null);
});

test('the answer to the sign-in started here gives its code', () => {
  assert.deepEqual(readCallback(params('code=abc&state=state-1'), pending), { code: 'abc' });
  assert.deepEqual(readCallback(params(`code=abc&state=state-1&iss=${encodeURIComponent(ISSUER)}`), pending), {
    code: 'abc',
  });
});

test('an answer with another state, no state, or with no sign-in started is refused', () => {
  assert.match(readCallback(params('code=abc&state=state-2'), pending).error, /another sign-in/);
  assert.match(readCallback(params('code=abc'), pending).error, /another sign-in/);
  assert.match(readCallback(params('error=access_denied&state=forged'), pending).error, /another sign-in/);
  assert.match(readCallback(params('code=abc&state=state-1'), null).error, /not asked for in this tab/);
});

test('an answer naming another issuer is refused (RFC 9207)', () => {
  const answer = readCallback(params('code=abc&state=state-1&iss=https%3A%2F%2Fevil.example'), pending);
  assert.match(answer.error, /comes from https:\/\/evil\.example, not from https:\/\/sso\.example\.com/);
  assert.equal(answer.code, undefined);
});

test("the IdP's errors are said in words, with its description", () => {
  assert.deepEqual(readCallback(params('error=access_denied&state=state-1'), pending), {
    error: 'The sign-in was cancelled or refused at the IdP.',
  });
  assert.equal(
    readCallback(params('error=login_required&error_description=Login+required&state=state-1'), pending).error,
    'The IdP needs you to sign in on its page first. It said: "Login required"',
  );
  assert.match(describeIdpError('unauthorized_client'), /console's client is not set up at the IdP/);
  assert.match(describeIdpError('temporarily_unavailable'), /Try again in a moment/);
  assert.equal(describeIdpError('x'.repeat(500)).length < 150, true);
  assert.match(describeTokenError(400, { error: 'invalid_grant' }), /expired or was used already/);
  assert.equal(describeTokenError(502, null), "The IdP's token endpoint answered HTTP 502 without a token.");
});

const discovery = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/protocol/openid-connect/auth`,
  token_endpoint: `${ISSUER}/protocol/openid-connect/token`,
  end_session_endpoint: `${ISSUER}/protocol/openid-connect/logout`,
  code_challenge_methods_supported: ['plain', 'S256'],
};

test("the discovery document's endpoints, when it is the accepted issuer's", () => {
  assert.equal(discoveryUrl(`${ISSUER}/`), `${ISSUER}/.well-known/openid-configuration`);
  assert.deepEqual(checkDiscovery(discovery, ISSUER), {
    authorizationEndpoint: discovery.authorization_endpoint,
    tokenEndpoint: discovery.token_endpoint,
    endSessionEndpoint: discovery.end_session_endpoint,
  });
  const { end_session_endpoint: _, code_challenge_methods_supported: __, ...bare } = discovery;
  assert.equal(checkDiscovery(bare, ISSUER).endSessionEndpoint, null);
});

test('a discovery document of another issuer, off-origin token endpoint or without S256 is refused', () => {
  assert.throws(() => checkDiscovery({ ...discovery, issuer: 'https://sso.example.com/realms/other' }, ISSUER), SsoError);
  assert.throws(
    () => checkDiscovery({ ...discovery, token_endpoint: 'https://tokens.example.net/token' }, ISSUER),
    /token endpoint is at https:\/\/tokens\.example\.net, not at the issuer's https:\/\/sso\.example\.com/,
  );
  assert.throws(() => checkDiscovery({ ...discovery, code_challenge_methods_supported: ['plain'] }, ISSUER), /S256/);
  assert.throws(() => checkDiscovery({ ...discovery, authorization_endpoint: 'javascript:alert(1)' }, ISSUER), SsoError);
  assert.throws(() => checkDiscovery(null, ISSUER), /not JSON/);
});

test('the authorization request: code, PKCE S256, state, nonce, the console as redirect URI', () => {
  const url = new URL(
    authorizationUrl('https://idp.example/authorize?tenant=a', {
      clientId: 'jobserver-console',
      redirectUri: 'https://jobs.example.com/',
      scope: scopeFor(' api://jobserver/jobs  openid '),
      state: 's',
      nonce: 'n',
      challenge: 'c',
    }),
  );
  assert.equal(url.origin + url.pathname, 'https://idp.example/authorize');
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    tenant: 'a',
    response_type: 'code',
    client_id: 'jobserver-console',
    redirect_uri: 'https://jobs.example.com/',
    scope: 'openid profile api://jobserver/jobs',
    state: 's',
    nonce: 'n',
    code_challenge: 'c',
    code_challenge_method: 'S256',
  });
  assert.equal(scopeFor(null), 'openid profile');
});

const jwt = (claims) =>
  `${base64url(new TextEncoder().encode('{"alg":"RS256"}'))}.${base64url(new TextEncoder().encode(JSON.stringify(claims)))}.sig`;
const now = Date.parse('2026-11-28T08:00:00Z');
const idClaims = {
  iss: ISSUER,
  aud: 'jobserver-console',
  nonce: 'nonce-1',
  exp: now / 1000 + 300,
  name: 'Zoë Ørsted',
  preferred_username: 'zoe',
};

test('the ID token is the issuer\'s, for the console, of this sign-in, not expired', () => {
  assert.equal(checkIdToken(jwt(idClaims), pending, now).name, 'Zoë Ørsted');
  assert.equal(checkIdToken(jwt({ ...idClaims, aud: ['other', 'jobserver-console'] }), pending, now).preferred_username, 'zoe');
  assert.throws(() => checkIdToken(jwt({ ...idClaims, iss: 'https://evil.example' }), pending, now), /comes from/);
  assert.throws(() => checkIdToken(jwt({ ...idClaims, aud: 'other' }), pending, now), /not meant for the console/);
  assert.throws(() => checkIdToken(jwt({ ...idClaims, nonce: 'nonce-2' }), pending, now), /nonce differs/);
  assert.throws(() => checkIdToken(jwt({ ...idClaims, nonce: undefined }), pending, now), /nonce differs/);
  assert.throws(() => checkIdToken(jwt({ ...idClaims, exp: now / 1000 - 600 }), pending, now), /expired/);
  assert.equal(checkIdToken(jwt({ ...idClaims, exp: now / 1000 - 60 }), pending, now).nonce, 'nonce-1');
  assert.throws(() => checkIdToken(undefined, pending, now), /without a readable ID token/);
  assert.equal(jwtClaims('not.a.jwt!'), null);
});

test("the person's name: name, else user name, else e-mail", () => {
  assert.equal(displayName(idClaims), 'Zoë Ørsted');
  assert.equal(displayName({ preferred_username: 'zoe', email: 'z@x' }), 'zoe');
  assert.equal(displayName({ email: 'z@x' }), 'z@x');
  assert.equal(displayName({}), null);
});

test("the IdP's sign-out address carries the client, the way back and the ID token", () => {
  const url = new URL(
    endSessionUrl(discovery.end_session_endpoint, {
      clientId: 'jobserver-console',
      idToken: 'a.b.c',
      postLogoutRedirectUri: 'https://jobs.example.com/',
    }),
  );
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    client_id: 'jobserver-console',
    post_logout_redirect_uri: 'https://jobs.example.com/',
    id_token_hint: 'a.b.c',
  });
});

test('a token without roles says so instead of "no permission"', () => {
  const forbidden = { status: 403, message: 'You do not have the appropriate permissions.' };
  assert.match(describeRefusal(forbidden, 'Nick Nobody', ISSUER), /signed in at sso\.example\.com as Nick Nobody, but that account has none of Jobserver's roles/);
  assert.match(describeRefusal(forbidden), /carries none of Jobserver's roles/);
  assert.equal(describeRefusal({ status: 401, describe: () => 'refused (HTTP 401)' }), 'refused (HTTP 401)');
});
