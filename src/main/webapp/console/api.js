// The console's only way to the server: the native API with the signed-in person's bearer token.
// The token lives in sessionStorage (this tab, until it closes or the person signs out), never in a
// cookie, so the browser never sends it anywhere by itself.

// Relative to this module, so the console works under any context root (`/`, `/jobserver`, ...).
const API_BASE = new URL('../api/jobserver/v1', import.meta.url).pathname;
const TOKEN_KEY = 'jobserver.token';

export function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Takes a token from the address (`/#token=<jwt>`, the link `mvn -Prun` prints) and removes it
 * from the address bar and the history at once, so it is neither bookmarked nor shown over a
 * shoulder. Returns the token or null.
 */
export function takeTokenFromAddress() {
  const hash = window.location.hash;
  if (!hash.startsWith('#token=')) return null;
  const token = decodeURIComponent(hash.slice('#token='.length)).trim();
  history.replaceState(null, '', window.location.pathname + window.location.search);
  return token || null;
}

/** A JWT is three base64url parts; anything else is a typo, refused before asking the server. */
export function looksLikeJwt(token) {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

export class ApiError extends Error {
  constructor(status, message, requestId) {
    super(message);
    this.status = status;
    this.requestId = requestId || null;
  }

  /** What to show a person: the server's message, the status, and the id to quote in a ticket. */
  describe() {
    const parts = [this.message];
    if (this.status) parts.push(`(HTTP ${this.status})`);
    if (this.requestId) parts.push(`request id ${this.requestId}`);
    return parts.join(' ');
  }
}

let onUnauthorized = () => {};

/** Called when the server refuses the token (expired, or not signed by a key it trusts). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function send(path, { method = 'GET', query, body, token = storedToken(), raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(API_BASE + path + queryString(query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'The server did not answer. Is it running, and is the network up?');
  }
  if (res.ok) {
    if (raw) return res;
    if (res.status === 204) return null;
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }
  const requestId = res.headers.get('X-Request-Id');
  let message = null;
  try {
    const err = await res.json();
    message = err && (err.message || err.detailed_error);
  } catch {
    // not JSON: fall back to the status text below
  }
  if (res.status === 401) {
    message = 'The server refused your token: it has expired or was not signed by a key it trusts.';
    // a token being tried at sign-in is not the session's: refusing it signs nobody out
    if (token && token === storedToken()) onUnauthorized(message);
  } else if (res.status === 403 && !message) {
    message = 'Your roles do not allow this.';
  } else if (res.status === 503 && !message) {
    message = 'The server is temporarily unavailable (database?). It will recover by itself.';
  }
  throw new ApiError(res.status, message || `${res.status} ${res.statusText}`, requestId);
}

export const api = {
  auth: () => send('/auth', { token: null }),
  me: (token) => send('/me', { token }),
  types: () => send('/types'),
  stats: () => send('/stats'),
  jobs: (query) => send('/jobs', { query }),
  job: (id) => send(`/jobs/${encodeURIComponent(id)}`),
  events: (id) => send(`/jobs/${encodeURIComponent(id)}/events`),
  create: (body) => send('/jobs', { method: 'POST', body }),
  cancel: (id) => send(`/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
  retry: (id) => send(`/jobs/${encodeURIComponent(id)}/retry`, { method: 'POST' }),
  remove: (id) => send(`/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  result: (id) => send(`/jobs/${encodeURIComponent(id)}/result`, { raw: true }),
  schedules: () => send('/schedules'),
  schedule: (id) => send(`/schedules/${encodeURIComponent(id)}`),
  scheduleJobs: (id, query) => send(`/schedules/${encodeURIComponent(id)}/jobs`, { query }),
  scheduleEvents: (id) => send(`/schedules/${encodeURIComponent(id)}/events`),
  pauseSchedule: (id) => send(`/schedules/${encodeURIComponent(id)}/pause`, { method: 'POST' }),
  resumeSchedule: (id) => send(`/schedules/${encodeURIComponent(id)}/resume`, { method: 'POST' }),
  triggerSchedule: (id) => send(`/schedules/${encodeURIComponent(id)}/trigger`, { method: 'POST' }),
  removeSchedule: (id) => send(`/schedules/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  workers: () => send('/workers'),
};
