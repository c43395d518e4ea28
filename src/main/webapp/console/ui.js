// Small DOM and formatting helpers shared by the views. No framework: the console is a handful of
// views that re-render from API answers, and it has to load with no build step.

/**
 * Builds an element. attrs: plain attributes, plus `class`, `on<event>` handlers, `dataset`,
 * and boolean properties (`disabled`, `checked`, `hidden`, `open`) which are set only when true.
 * Children: nodes, strings (as text, never HTML), arrays, and null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/**
 * Replaces the children of `container` without losing the keyboard focus or a text selection the
 * person is making: live views re-render every few seconds, and an operator tabbing through the
 * table or copying a stack trace must not be thrown back to the top.
 */
export function replaceContent(container, ...nodes) {
  const active = document.activeElement;
  const focusKey = active && container.contains(active) ? active.dataset.focusKey : null;
  container.replaceChildren(...nodes.flat().filter(Boolean));
  if (focusKey) {
    const again = container.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
}

/** True while the person is selecting text inside `el` (then a live refresh waits). */
export function selectingIn(el) {
  const sel = window.getSelection();
  return !!sel && !sel.isCollapsed && sel.rangeCount > 0 && el.contains(sel.anchorNode);
}

// --- statuses ------------------------------------------------------------------------------------

/** Internal statuses in the order a job moves through them, with how a person reads each. */
export const STATUSES = [
  { name: 'pending', label: 'Pending', icon: '○', finished: false },
  { name: 'blocked', label: 'Blocked', icon: '‖', finished: false },
  { name: 'running', label: 'Running', icon: '▶', finished: false },
  { name: 'cancel_requested', label: 'Cancelling', icon: '◌', finished: false },
  { name: 'completed', label: 'Completed', icon: '✓', finished: true },
  { name: 'warning', label: 'Warning', icon: '!', finished: true },
  { name: 'failed', label: 'Failed', icon: '✕', finished: true },
  { name: 'canceled', label: 'Canceled', icon: '⊘', finished: true },
  { name: 'skipped', label: 'Skipped', icon: '↷', finished: true },
  { name: 'abandoned', label: 'Abandoned', icon: '⊗', finished: true },
];
const STATUS_BY_NAME = new Map(STATUSES.map((s) => [s.name, s]));

export function statusInfo(name) {
  return STATUS_BY_NAME.get(name) || { name, label: name || 'unknown', icon: '?', finished: false };
}

export function isFinished(status) {
  return statusInfo(status).finished;
}

/** A status as colour plus icon plus word, so it reads without colour too. */
export function statusBadge(status, extraClass) {
  const s = statusInfo(status);
  return h(
    'span',
    { class: `status status-${s.name}${extraClass ? ' ' + extraClass : ''}`, title: s.name },
    h('span', { class: 'status-icon', 'aria-hidden': 'true' }, s.icon),
    s.label,
  );
}

// --- numbers, sizes, times -----------------------------------------------------------------------

export function formatCount(n) {
  return (n || 0).toLocaleString('en-US');
}

export function formatBytes(n) {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

const pad = (n) => String(n).padStart(2, '0');

/** Local wall-clock time; the date is left out for today, as an operator reads a log. */
export function formatTime(iso, { seconds = true, millis = false } = {}) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  let t = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (seconds) t += `:${pad(d.getSeconds())}`;
  if (millis) t += `.${String(d.getMilliseconds()).padStart(3, '0')}`;
  const now = new Date();
  const sameDay =
    d.getFullYear() === now.getFullYear() &&
    d.getMonth() === now.getMonth() &&
    d.getDate() === now.getDate();
  return sameDay ? t : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}`;
}

export function formatRelative(iso, now = Date.now()) {
  if (!iso) return '';
  const diff = now - new Date(iso).getTime();
  if (Number.isNaN(diff)) return '';
  const future = diff < 0;
  const s = Math.abs(diff) / 1000;
  let text;
  if (s < 5) return future ? 'in a moment' : 'just now';
  if (s < 60) text = `${Math.floor(s)} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else if (s < 172800) text = `${Math.floor(s / 3600)} h`;
  else text = `${Math.floor(s / 86400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

/** A time element: local time, its age beside it, the exact UTC instant on hover. */
export function timeCell(iso, opts) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: iso }, formatTime(iso, opts));
}

/** How long a job waited to start and how long it ran (so far). */
export function jobDurations(job, now = Date.now()) {
  const t = (iso) => (iso ? new Date(iso).getTime() : null);
  const due = Math.max(t(job.created_at) || 0, t(job.run_at) || 0) || null;
  const started = t(job.started_at);
  const finished = t(job.finished_at);
  return {
    waited: started && due ? started - due : null,
    ran: started ? (finished || now) - started : null,
    running: !!started && !finished,
  };
}

/** The datetime-local input's value ("2026-11-28T08:00") as an ISO instant, or null. */
export function localInputToIso(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function isoToLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which of `ids` to read: first those not read yet, then those last seen unfinished (their status
 * moves) and any read more than `maxAgeMs` ago (a finished job can be retried or deleted). At most
 * `max` per round, so a job with a hundred dependencies does not send a hundred requests at once.
 * `known` maps an id to {status, gone, at}.
 */
export function idsToRead(ids, known, { now = Date.now(), maxAgeMs = 30000, max = 20 } = {}) {
  const unread = [];
  const again = [];
  for (const id of new Set(ids)) {
    if (!id) continue;
    const k = known.get(id);
    if (!k) unread.push(id);
    else if ((!k.gone && !isFinished(k.status)) || now - k.at >= maxAgeMs) again.push(id);
  }
  return [...unread, ...again].slice(0, max);
}

/**
 * Reads the jobs `ids` into `known` (a 404 marks one gone). Failures other than 404 leave an entry
 * as it was: these are extras beside the view's own answer, which reports the server's state.
 */
export async function readJobs(ids, known, readJob, now = Date.now()) {
  await Promise.all(
    ids.map((id) =>
      readJob(id).then(
        (job) => known.set(id, { status: job.status, type: job.type, gone: false, at: now }),
        (err) => {
          if (err && err.status === 404) known.set(id, { status: null, gone: true, at: now });
        },
      ),
    ),
  );
}
