// Single sign-on: OpenID Connect's authorization code flow with PKCE (RFC 7636, S256), the console
// being a public client (no secret can be kept in a browser). The server names the IdP and the
// client id (GET /api/jobserver/v1/auth); the IdP's endpoints come from its discovery document.
//
// What is kept, all in this tab's sessionStorage (never a cookie, never localStorage):
// - while the person is at the IdP: the PKCE verifier, state and nonce (PENDING_KEY), used once;
// - once signed in: the access token, like a pasted one (api.js), and the ID token with the name
//   to show and the IdP's sign-out address (SESSION_KEY).
// No refresh token is used: when the access token expires the console asks to sign in again, and
// while the person's session at the IdP lasts that is a click, with no password. A refresh token
// would be one more long-lived credential in the page for a script to steal.
//
// The pure functions are exported for `node --test` (scripts/browser/sso.test.mjs).

const PENDING_KEY = 'jobserver.sso.pending';
const SESSION_KEY = 'jobserver.sso.session';
const NOTICE_KEY = 'jobserver.sso.notice';
/** Scopes always asked for: the ID token (openid) with the person's name in it (profile). */
const BASE_SCOPE = 'openid profile';
/** Clocks of the browser and the IdP may differ this much (ID token expiry). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** A sign-in that cannot go on; its message is meant for the person. */
export class SsoError extends Error {}

// --- pure parts ----------------------------------------------------------------------------------

export function base64url(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function base64urlDecode(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A random base64url string; 32 bytes make a 43-character PKCE verifier (RFC 7636, 4.1). */
export function randomString(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The S256 code challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))), RFC 7636 4.2. */
export async function pkceChallenge(verifier) {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) {
    throw new Error('a PKCE verifier is 43 to 128 unreserved characters');
  }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function discoveryUrl(issuer) {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

function webUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * The endpoints the console needs from the IdP's discovery document, after checking that it is
 * the accepted issuer's, that its token endpoint is on the issuer's origin (the only one the
 * page's Content-Security-Policy lets it fetch), and that it takes S256 challenges.
 */
export function checkDiscovery(doc, issuer) {
  if (!doc || typeof doc !== 'object') {
    throw new SsoError(`The IdP's discovery document (${discoveryUrl(issuer)}) is not JSON.`);
  }
  if (doc.issuer !== issuer) {
    throw new SsoError(
      `The IdP calls itself "${doc.issuer}", but this server accepts tokens from "${issuer}" ` +
        '(MP_JWT_VERIFY_ISSUER). They must be exactly the same.',
    );
  }
  const authorization = webUrl(doc.authorization_endpoint);
  const token = webUrl(doc.token_endpoint);
  if (!authorization || !token) {
    throw new SsoError("The IdP's discovery document names no authorization or token endpoint.");
  }
  const issuerOrigin = webUrl(issuer) && webUrl(issuer).origin;
  if (token.origin !== issuerOrigin) {
    throw new SsoError(
      `The IdP's token endpoint is at ${token.origin}, not at the issuer's ${issuerOrigin}: ` +
        'the console may fetch from the issuer only.',
    );
  }
  const methods = doc.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256')) {
    throw new SsoError('The IdP does not take PKCE challenges of the S256 method.');
  }
  const endSession = webUrl(doc.end_session_endpoint);
  return {
    authorizationEndpoint: authorization.href,
    tokenEndpoint: token.href,
    endSessionEndpoint: endSession ? endSession.href : null,
  };
}

/** The scopes asked for: openid and profile, then the server's extra ones (JOBSERVER_OIDC_SCOPE). */
export function scopeFor(extra) {
  const scopes = BASE_SCOPE.split(' ');
  for (const s of String(extra || '').split(/\s+/)) if (s && !scopes.includes(s)) scopes.push(s);
  return scopes.join(' ');
}

export function authorizationUrl(endpoint, { clientId, redirectUri, scope, state, nonce, challenge }) {
  const url = new URL(endpoint);
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

/** The IdP's error codes (RFC 6749 4.1.2.1, OpenID Connect 3.1.2.6) in words. */
export function describeIdpError(error, description) {
  let text;
  switch (error) {
    case 'access_denied':
      text = 'The sign-in was cancelled or refused at the IdP.';
      break;
    case 'login_required':
    case 'interaction_required':
    case 'account_selection_required':
      text = 'The IdP needs you to sign in on its page first.';
      break;
    case 'consent_required':
      text = 'The IdP needs your consent for the console first.';
      break;
    case 'invalid_request':
    case 'invalid_request_uri':
    case 'invalid_scope':
    case 'unauthorized_client':
    case 'unsupported_response_type':
    case 'request_not_supported':
    case 'registration_not_supported':
      text =
        `The IdP refused the console's sign-in request (${error}): the console's client is not ` +
        'set up at the IdP as the README says (a public client with this page as its redirect URI).';
      break;
    case 'server_error':
    case 'temporarily_unavailable':
      text = `The IdP could not sign you in just now (${error}). Try again in a moment.`;
      break;
    default:
      text = `The IdP did not sign you in (${String(error).slice(0, 100)}).`;
  }
  return description ? `${text} It said: "${String(description).slice(0, 300)}"` : text;
}

/**
 * What the address says after the IdP sent the person back: null when it is not an answer of the
 * IdP, else `{code}` or `{error}` (words for the person). `pending` is the sign-in this tab
 * started (or null): an answer to another one, or to none, is refused (RFC 6749 10.12).
 */
export function readCallback(params, pending) {
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return null;
  if (!pending) {
    return { error: 'This sign-in answer was not asked for in this tab, or it was used already.' };
  }
  if (params.get('state') !== pending.state) {
    return { error: 'This sign-in answer belongs to another sign-in than the one started here.' };
  }
  // RFC 9207: an IdP that names itself in the answer must be the one asked
  if (params.has('iss') && params.get('iss') !== pending.issuer) {
    return { error: `This sign-in answer comes from ${params.get('iss')}, not from ${pending.issuer}.` };
  }
  if (error) return { error: describeIdpError(error, params.get('error_description')) };
  return { code };
}

/** The payload of a JWT, or null when it is not one. Nothing is verified here. */
export function jwtClaims(jwt) {
  const parts = String(jwt || '').split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(new TextDecoder().decode(base64urlDecode(parts[1])));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/**
 * The ID token's claims, after the checks OpenID Connect asks of a client that got it straight
 * from the token endpoint over TLS (3.1.3.7: issuer, audience, nonce, expiry; the signature may
 * go unchecked then). The access token is the server's to verify, on every request.
 */
export function checkIdToken(idToken, { issuer, clientId, nonce }, now = Date.now()) {
  const claims = jwtClaims(idToken);
  if (!claims) throw new SsoError('The IdP answered without a readable ID token.');
  if (claims.iss !== issuer) throw new SsoError(`The ID token comes from "${claims.iss}", not from "${issuer}".`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(clientId)) throw new SsoError(`The ID token is not meant for the console (${clientId}).`);
  if (claims.nonce !== nonce) throw new SsoError('The ID token belongs to another sign-in (its nonce differs).');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < now - CLOCK_SKEW_MS) {
    throw new SsoError('The ID token has expired already: is this computer\'s clock right?');
  }
  return claims;
}

/** What to call the person: the name, else the user name or e-mail the IdP knows them by. */
export function displayName(claims) {
  if (!claims) return null;
  return claims.name || claims.preferred_username || claims.email || null;
}

/** The token endpoint's refusal in words. */
export function describeTokenError(status, body) {
  const error = body && body.error;
  const said = body && body.error_description ? ` It said: "${String(body.error_description).slice(0, 300)}"` : '';
  if (error === 'invalid_grant') {
    return `The IdP did not accept the sign-in code (it expired or was used already).${said}`;
  }
  if (error) return `The IdP refused to issue a token (${String(error).slice(0, 100)}).${said}`;
  return `The IdP's token endpoint answered HTTP ${status} without a token.`;
}

/** The IdP's sign-out address with the hints RP-initiated logout takes (all optional there). */
export function endSessionUrl(endpoint, { clientId, idToken, postLogoutRedirectUri }) {
  const url = new URL(endpoint);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
  // an expired one is fine: the OpenID spec asks IdPs to accept it as a hint
  if (idToken) url.searchParams.set('id_token_hint', idToken);
  return url.href;
}

// --- in the browser ------------------------------------------------------------------------------

function read(key) {
  try {
    const text = sessionStorage.getItem(key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/**
 * The console's own address, as registered at the IdP (its only redirect URI): the application's
 * root, `https://host/` or, deployed under a context root, `https://host/jobserver/`.
 */
function consoleUrl() {
  return new URL('../', import.meta.url).href;
}

/** Why this page cannot do an SSO sign-in, or null when it can. */
export function unsupportedReason() {
  if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) {
    return 'Single sign-on needs the console over HTTPS (the browser offers the cryptography it needs only there).';
  }
  return null;
}

async function discover(issuer) {
  let res;
  try {
    res = await fetch(discoveryUrl(issuer), { credentials: 'omit', cache: 'no-store', headers: { Accept: 'application/json' } });
  } catch {
    throw new SsoError(`The IdP (${discoveryUrl(issuer)}) did not answer. Is it running, and does it allow this origin?`);
  }
  if (!res.ok) throw new SsoError(`The IdP's discovery document (${discoveryUrl(issuer)}) answered HTTP ${res.status}.`);
  let doc = null;
  try {
    doc = await res.json();
  } catch {
    // checkDiscovery says so
  }
  return checkDiscovery(doc, issuer);
}

/**
 * Sends the person to the IdP's sign-in page; they come back to `/?code=…&state=…`, where
 * `finishSignIn` takes over. `config` is GET /auth's answer. Resolves only if it fails (throws).
 */
export async function startSignIn(config) {
  const unsupported = unsupportedReason();
  if (unsupported) throw new SsoError(unsupported);
  const endpoints = await discover(config.issuer);
  const pending = {
    issuer: config.issuer,
    clientId: config.client_id,
    redirectUri: consoleUrl(),
    state: randomString(),
    nonce: randomString(),
    verifier: randomString(),
    tokenEndpoint: endpoints.tokenEndpoint,
    endSessionEndpoint: endpoints.endSessionEndpoint,
    // the view to go back to: the redirect URI is always the console's root
    returnHash: window.location.hash.startsWith('#token=') ? '' : window.location.hash,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(
    authorizationUrl(endpoints.authorizationEndpoint, {
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      scope: scopeFor(config.scope),
      state: pending.state,
      nonce: pending.nonce,
      challenge: await pkceChallenge(pending.verifier),
    }),
  );
}

/** True when the address holds an answer of the IdP (`?code=…` or `?error=…`). */
export function callbackInAddress() {
  const params = new URLSearchParams(window.location.search);
  return params.has('code') || params.has('error');
}

/**
 * Completes a sign-in from the IdP's answer in the address: checks it, takes the code and state
 * out of the address bar and the history at once, exchanges the code (with the PKCE verifier) for
 * tokens, and keeps the SSO session. Returns the access token; throws SsoError with words.
 */
export async function finishSignIn() {
  const pending = read(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY); // one answer per sign-in, whatever it says
  const answer = readCallback(new URLSearchParams(window.location.search), pending);
  history.replaceState(null, '', window.location.pathname + ((pending && pending.returnHash) || ''));
  if (!answer) return null;
  if (answer.error) throw new SsoError(answer.error);

  let res;
  try {
    res = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: answer.code,
        redirect_uri: pending.redirectUri,
        client_id: pending.clientId,
        code_verifier: pending.verifier,
      }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new SsoError(
      `The IdP's token endpoint did not answer this page. Is ${window.location.origin} among the ` +
        "console client's web origins (CORS) at the IdP?",
    );
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // described below
  }
  if (!res.ok || !body || !body.access_token) throw new SsoError(describeTokenError(res.status, body));
  if (body.token_type && body.token_type.toLowerCase() !== 'bearer') {
    throw new SsoError(`The IdP issued a ${body.token_type} token, not a bearer token.`);
  }
  if (!jwtClaims(body.access_token)) {
    throw new SsoError(
      "The IdP's access token is not a JWT, so Jobserver cannot verify it: the console's client must get " +
        'access tokens for Jobserver (see JOBSERVER_OIDC_SCOPE in the README).',
    );
  }
  const claims = checkIdToken(body.id_token, pending);
  sessionStorage.setItem(
    SESSION_KEY,
    JSON.stringify({
      issuer: pending.issuer,
      clientId: pending.clientId,
      idToken: body.id_token,
      name: displayName(claims),
      username: claims.preferred_username || claims.email || null,
      endSessionEndpoint: pending.endSessionEndpoint,
    }),
  );
  return body.access_token;
}

/** The SSO session of this tab: {issuer, name, username, …}, or null (a pasted token, or none). */
export function ssoSession() {
  return read(SESSION_KEY);
}

export function forgetSsoSession() {
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(PENDING_KEY);
}

/**
 * Ends the session at the IdP too, when it publishes a sign-out address: the browser goes there
 * and comes back to the console, which then shows `notice`. Returns false when there is nothing
 * to end (the SSO session is forgotten either way).
 */
export function endIdpSession(notice) {
  const session = ssoSession();
  forgetSsoSession();
  if (!session || !session.endSessionEndpoint) return false;
  sessionStorage.setItem(NOTICE_KEY, notice);
  window.location.assign(
    endSessionUrl(session.endSessionEndpoint, {
      clientId: session.clientId,
      idToken: session.idToken,
      postLogoutRedirectUri: consoleUrl(),
    }),
  );
  return true;
}

/** The message left for the sign-in page before the browser went to the IdP's sign-out. */
export function takeNotice() {
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return notice;
}
