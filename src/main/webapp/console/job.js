// One job: status, progress, data, attempts, timings, events, the failure's stack trace, its result,
// the jobs it depends on (with their statuses) and the schedule that created it, and the actions
// the signed-in roles allow. Refreshed every 1.5 s while the job is unfinished. (The API does not
// list the jobs that depend on a job, so those are not shown.)

import { api } from './api.js';
import { confirmDialog, openCreateDialog } from './create.js';
import { jobsListHash, progressBar } from './jobs.js';
import { scheduleName } from './schedules.js';
import {
  copyText,
  formatBytes,
  formatDuration,
  formatRelative,
  formatTime,
  h,
  idsToRead,
  isFinished,
  jobDurations,
  readJobs,
  replaceContent,
  selectingIn,
  statusBadge,
  timeCell,
} from './ui.js';

const ACTIVE_REFRESH_MS = 1500;
const FINISHED_REFRESH_MS = 10000;

export function renderJob(main, id, ctx) {
  const view = h('article', { class: 'job', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading job…'));
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: jobsListHash(), id: 'back-to-jobs' }, '← Jobs')),
    view,
  );

  let job = null;
  let events = [];
  let lastAnswer = null;
  let busy = false; // an action is under way: its buttons stay disabled
  let stopped = false;
  let nextRefreshMs = ACTIVE_REFRESH_MS;
  const dependencies = new Map(); // the statuses of the jobs this one depends on, by id
  let schedule = null; // {name} or {gone: true} of the schedule that created it, read once

  const load = async () => {
    let answer;
    try {
      answer = await Promise.all([api.job(id), api.events(id)]);
    } catch (err) {
      if (err.status === 404) {
        replaceContent(view, notFound(id));
        view.removeAttribute('aria-busy');
        refresher.stop();
        return;
      }
      if (!job) replaceContent(view, loadError(err));
      throw err;
    }
    const deps = answer[0].depends_on || [];
    await readJobs(idsToRead(deps, dependencies, { max: 50 }), dependencies, api.job);
    if (answer[0].schedule_id && !schedule) schedule = await readSchedule(answer[0].schedule_id);
    const text = JSON.stringify([answer, deps.map((dep) => dependencies.get(dep)?.status || dependencies.get(dep)?.gone || null), schedule]);
    if (text === lastAnswer && !busy) {
      tick();
      return;
    }
    if (selectingIn(view)) return; // someone is copying a stack trace: repaint after
    lastAnswer = text;
    [job, events] = answer;
    paint();
    const wanted = isFinished(job.status) ? FINISHED_REFRESH_MS : ACTIVE_REFRESH_MS;
    if (wanted !== nextRefreshMs) {
      nextRefreshMs = wanted;
      refresher.stop();
      if (!stopped) refresher = ctx.every(nextRefreshMs, load);
    }
  };

  const act = async (label, done, call, after) => {
    busy = true;
    paint();
    try {
      const result = await call();
      ctx.toast(done, 'ok');
      if (after) after(result);
      else refresher.now();
    } catch (err) {
      ctx.toast(`${label} failed: ${err.describe ? err.describe() : err}`, 'error');
      refresher.now();
    } finally {
      busy = false;
      lastAnswer = null;
    }
  };

  const actions = () => {
    if (!ctx.me.can_write) return [];
    const s = job.status;
    const list = [];
    if (['pending', 'blocked', 'running'].includes(s)) {
      list.push(
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            id: 'action-cancel',
            'data-focus-key': 'action-cancel',
            disabled: busy,
            onclick: async () => {
              const ok = await confirmDialog({
                title: 'Cancel this job?',
                body:
                  s === 'running'
                    ? 'The job is running: it is asked to stop, and shows as canceled once its handler has stopped.'
                    : 'The job has not started; it will not run.',
                confirm: 'Cancel job',
                cancel: 'Keep it',
                danger: true,
              });
              if (ok) act('Cancel', s === 'running' ? 'Cancel requested: the job stops at its next check.' : 'Job canceled.', () => api.cancel(id));
            },
          },
          'Cancel job',
        ),
      );
    }
    if (['failed', 'canceled', 'abandoned'].includes(s)) {
      list.push(
        h(
          'button',
          { type: 'button', class: 'primary', id: 'action-retry', 'data-focus-key': 'action-retry', disabled: busy, onclick: () => act('Retry', 'Job queued again with a fresh attempt budget.', () => api.retry(id)) },
          'Retry',
        ),
      );
    }
    list.push(
      h(
        'button',
        {
          type: 'button',
          id: 'action-copy',
          'data-focus-key': 'action-copy',
          title: 'Run a new job of this type with the same data',
          onclick: () => openCreateDialog({ types: ctx.types, toast: ctx.toast, navigate: ctx.navigate, preset: { type: job.type, data: job.data, priority: job.priority } }),
        },
        'Run a copy',
      ),
    );
    if (isFinished(s)) {
      list.push(
        h(
          'button',
          {
            type: 'button',
            class: 'danger-quiet',
            id: 'action-delete',
            'data-focus-key': 'action-delete',
            disabled: busy,
            onclick: async () => {
              const ok = await confirmDialog({
                title: 'Delete this job?',
                body: 'The job, its events and its result file are removed for good.',
                confirm: 'Delete job',
                cancel: 'Keep it',
                danger: true,
              });
              if (ok) {
                refresher.stop(); // no more reads of a job that is about to go
                act('Delete', `Job ${id} deleted.`, () => api.remove(id), () => {
                  window.location.hash = jobsListHash(); // back to the list as it was left
                });
              }
            },
          },
          'Delete',
        ),
      );
    }
    return list;
  };

  const paint = () => {
    view.removeAttribute('aria-busy');
    const d = jobDurations(job);
    const deps = dependencySummary(job.depends_on || [], dependencies);
    replaceContent(
      view,
      h(
        'header',
        { class: 'job-head' },
        h(
          'div',
          { class: 'job-title' },
          h('h1', {}, h('span', { class: 'job-type' }, job.type), statusBadge(job.status, 'status-large')),
          h(
            'p',
            { class: 'job-id' },
            h('span', { class: 'mono', id: 'job-id' }, job.id),
            h(
              'button',
              {
                type: 'button',
                class: 'link small',
                'data-focus-key': 'copy-id',
                onclick: async () => ctx.toast((await copyText(job.id)) ? 'Job id copied.' : 'Could not copy: select the id instead.'),
              },
              'Copy id',
            ),
          ),
        ),
        h('div', { class: 'job-actions' }, actions()),
      ),
      h(
        'section',
        { class: 'job-progress', 'aria-label': 'Progress' },
        progressBar(job, false),
        h('span', { class: 'muted', id: 'run-clock' }, statusLine(job, d, deps)),
      ),
      h(
        'div',
        { class: 'job-grid' },
        h(
          'div',
          { class: 'job-col' },
          job.error || (Array.isArray(job.stacktrace) && job.stacktrace.length && job.status === 'failed') ? errorPanel(job) : null,
          job.result ? resultPanel(job, ctx) : null,
          dependenciesPanel(job, dependencies, deps),
          summaryPanel(job, d, schedule, remoteWorker(events)),
          dataPanel(job),
        ),
        h('div', { class: 'job-col' }, eventsPanel(events)),
      ),
    );
  };

  /** Between answers, the running clock moves on by itself. */
  const tick = () => {
    if (!job) return;
    const clock = view.querySelector('#run-clock');
    if (clock) clock.textContent = statusLine(job, jobDurations(job), dependencySummary(job.depends_on || [], dependencies));
  };

  let refresher = ctx.every(nextRefreshMs, load);
  const clockTimer = setInterval(tick, 1000);
  return {
    stop() {
      stopped = true;
      refresher.stop();
      clearInterval(clockTimer);
    },
  };
}

function statusLine(job, d, deps) {
  switch (job.status) {
    case 'pending':
    case 'blocked': {
      const due = job.run_at && new Date(job.run_at).getTime() > Date.now();
      if (job.status === 'blocked') {
        const open = deps ? deps.waiting + deps.unknown : job.depends_on?.length || 0;
        return `Waiting for ${open} of ${job.depends_on?.length || 0} job(s) it depends on`;
      }
      return due ? `Due ${formatRelative(job.run_at)}` : `Waiting for a worker for ${formatDuration(Date.now() - new Date(job.run_at || job.created_at).getTime())}`;
    }
    case 'running':
      return `Running for ${formatDuration(d.ran)}`;
    case 'cancel_requested':
      return `Cancel requested; still running for ${formatDuration(d.ran)}`;
    default:
      return job.finished_at
        ? `Finished ${formatRelative(job.finished_at)}${d.ran !== null ? ` after running ${formatDuration(d.ran)}` : ''}`
        : '';
  }
}

function panel(title, id, ...content) {
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

function row(label, ...value) {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

/** The remote worker of the job's latest run (the actor of its last start), or null. */
export function remoteWorker(events) {
  const starts = (events || []).filter((e) => e.to === 'running' && typeof e.actor === 'string' && e.actor.startsWith('worker:'));
  return starts.length ? starts[starts.length - 1].actor.slice('worker:'.length) : null;
}

function summaryPanel(job, d, schedule, worker) {
  const attempts = job.max_attempts ? `${job.attempt || 0} of ${job.max_attempts}` : String(job.attempt || 0);
  return panel(
    'Details',
    'details-title',
    h(
      'dl',
      { class: 'facts' },
      row('Attempt', attempts, job.attempt > 1 ? h('span', { class: 'muted' }, ' (retried)') : null),
      row('Priority', String(job.priority ?? 0)),
      row('Created by', job.created_by || '—'),
      worker ? row('Remote worker', h('a', { class: 'mono', href: '#/workers', title: 'token subject / worker' }, worker)) : null,
      job.schedule_id ? row('Schedule', scheduleLink(job.schedule_id, schedule)) : null,
      row('Created', timeCell(job.created_at, { millis: true }), ' ', h('span', { class: 'muted' }, formatRelative(job.created_at))),
      job.run_at && job.run_at !== job.created_at ? row('Due', timeCell(job.run_at, { millis: true })) : null,
      row('Started', timeCell(job.started_at, { millis: true })),
      row('Finished', timeCell(job.finished_at, { millis: true })),
      row('Waited', d.waited !== null ? formatDuration(d.waited) : '—'),
      row('Ran', d.ran !== null ? formatDuration(d.ran) : '—'),
      row('Last update', timeCell(job.updated_at, { millis: true })),
    ),
  );
}

/** The schedule that created a job: a link named after it (its id when it was deleted). */
function scheduleLink(id, schedule) {
  const href = `#/schedules/${encodeURIComponent(id)}`;
  if (schedule && schedule.name) {
    return [h('a', { href, id: 'job-schedule' }, schedule.name), ' ', h('span', { class: 'mono muted small-id' }, id)];
  }
  return [h('a', { class: 'mono', href, id: 'job-schedule' }, id), schedule && schedule.gone ? h('span', { class: 'muted' }, ' (deleted)') : null];
}

async function readSchedule(id) {
  try {
    return { name: scheduleName(await api.schedule(id)) };
  } catch (err) {
    return err.status === 404 ? { gone: true } : null; // null: asked again at the next refresh
  }
}

const DONE = ['completed', 'warning', 'skipped'];
const FAILED = ['failed', 'canceled', 'abandoned'];

/**
 * Where a job's dependencies stand: done (ended completed, warning or skipped: it may run), failed
 * (failed, canceled or abandoned: it is abandoned), waiting (not finished), gone (deleted: it no
 * longer holds the job back) and unknown (not read yet).
 */
export function dependencySummary(ids, known) {
  const sum = { total: ids.length, done: 0, failed: 0, waiting: 0, gone: 0, unknown: 0 };
  for (const id of ids) {
    const k = known.get(id);
    if (!k) sum.unknown++;
    else if (k.gone) sum.gone++;
    else if (DONE.includes(k.status)) sum.done++;
    else if (FAILED.includes(k.status)) sum.failed++;
    else sum.waiting++;
  }
  return sum;
}

/** "2 of 3 done · 1 unfinished", as the panel's first line. */
export function describeDependencies(sum) {
  const parts = [`${sum.done} of ${sum.total} done`];
  if (sum.waiting) parts.push(`${sum.waiting} unfinished`);
  if (sum.failed) parts.push(`${sum.failed} failed or canceled`);
  if (sum.gone) parts.push(`${sum.gone} deleted`);
  return parts.join(' · ');
}

function dependenciesPanel(job, known, sum) {
  const ids = job.depends_on || [];
  if (!ids.length) return null;
  return panel(
    'Depends on',
    'deps-title',
    h('p', { class: 'muted panel-note' }, describeDependencies(sum)),
    h(
      'ul',
      { class: 'plain deps', id: 'job-deps' },
      ids.map((dep) => {
        const k = known.get(dep);
        return h(
          'li',
          { dataset: { id: dep } },
          k && !k.gone ? statusBadge(k.status, 'status-small') : h('span', { class: 'status status-small muted' }, k ? 'deleted' : '…'),
          ' ',
          h('a', { class: 'mono', href: `#/jobs/${encodeURIComponent(dep)}` }, dep),
          k && k.type ? h('span', { class: 'muted' }, ` ${k.type}`) : null,
        );
      }),
    ),
  );
}

function dataPanel(job) {
  const data = job.data && Object.keys(job.data).length ? JSON.stringify(job.data, null, 2) : null;
  return panel('Data', 'data-title', data ? h('pre', { class: 'code', id: 'job-data' }, data) : h('p', { class: 'muted' }, 'No data.'));
}

/**
 * The failure: its message first, then the stack trace(s). A `stacktrace` list (one per failed
 * attempt, as the Taipy API shows them) is used when the server sends one; otherwise the lines
 * after the message's first are taken as the trace.
 */
function errorPanel(job) {
  const text = String(job.error || '');
  const [first, ...rest] = text.split('\n');
  const traces = Array.isArray(job.stacktrace) && job.stacktrace.length ? job.stacktrace : rest.length ? [rest.join('\n')] : [];
  const last = traces.length - 1;
  return h(
    'section',
    { class: `panel panel-error${job.status === 'warning' ? ' panel-warning' : ''}`, 'aria-labelledby': 'error-title', id: 'job-error' },
    h('h2', { id: 'error-title' }, job.status === 'warning' ? 'Warning' : 'What went wrong'),
    h('p', { class: 'error-message' }, first || 'The job failed without a message.'),
    traces.map((trace, i) =>
      h(
        'details',
        { open: i === last, class: 'stack-block' },
        h('summary', {}, traces.length > 1 ? `Stack trace ${i + 1} of ${traces.length}${i === last ? ' (latest)' : ''}` : 'Stack trace'),
        h('pre', { class: 'code stack' }, trace),
      ),
    ),
  );
}

function resultPanel(job, ctx) {
  const r = job.result;
  const button = h('button', { type: 'button', id: 'download-result' }, 'Download');
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = 'Downloading…';
    try {
      // the token goes in a header, so a plain link would not do: fetch, then save the blob
      const res = await api.result(job.id);
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: r.file_name || `${job.id}.result` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      ctx.toast(`Download failed: ${err.describe ? err.describe() : err}`, 'error');
    } finally {
      button.disabled = false;
      button.textContent = 'Download';
    }
  });
  return panel(
    'Result',
    'result-title',
    h(
      'div',
      { class: 'result' },
      h('span', { class: 'mono' }, r.file_name || 'result'),
      h('span', { class: 'muted' }, [formatBytes(r.size), r.content_type].filter(Boolean).join(' · ')),
      button,
    ),
  );
}

function eventsPanel(events) {
  if (!events || !events.length) return panel('Events', 'events-title', h('p', { class: 'muted' }, 'No events recorded.'));
  return panel(
    'Events',
    'events-title',
    h(
      'table',
      { class: 'events', id: 'job-events' },
      h('caption', { class: 'visually-hidden' }, 'Status changes, oldest first'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'Change'), h('th', { scope: 'col' }, 'By'))),
      h(
        'tbody',
        {},
        events.map((e) =>
          h(
            'tr',
            {},
            h('td', { class: 'nowrap' }, h('time', { datetime: e.at, title: e.at }, formatTime(e.at, { millis: true }))),
            h(
              'td',
              {},
              h('span', { class: 'change' }, e.from ? statusBadge(e.from, 'status-small') : h('span', { class: 'muted' }, 'new'), h('span', { 'aria-label': 'to' }, ' → '), statusBadge(e.to, 'status-small')),
              e.message ? h('div', { class: 'event-message' }, e.message) : null,
            ),
            h('td', { class: 'actor' }, actorLabel(e.actor)),
          ),
        ),
      ),
    ),
  );
}

/** Who made a change: a person (token subject), an engine instance, a schedule, a dependency. */
function actorLabel(actor) {
  if (!actor) return h('span', { class: 'muted' }, '—');
  const m = actor.match(/^(engine|schedule|dependency):(.*)$/);
  if (!m) return h('span', { class: 'actor-person' }, actor);
  const kinds = { engine: 'engine', schedule: 'schedule', dependency: 'dependency' };
  const links = { dependency: '#/jobs/', schedule: '#/schedules/' };
  const target = links[m[1]] ? h('a', { class: 'mono', href: `${links[m[1]]}${encodeURIComponent(m[2])}` }, m[2]) : h('span', { class: 'mono' }, m[2]);
  return h('span', { class: `actor-${m[1]}`, title: actor }, h('span', { class: 'actor-kind' }, kinds[m[1]]), ' ', target);
}

function notFound(id) {
  return h(
    'div',
    { class: 'empty' },
    h('h1', {}, 'No such job'),
    h('p', {}, 'There is no job with the id ', h('span', { class: 'mono' }, id), '. It may have been deleted, or the id is mistyped.'),
    h('p', {}, h('a', { href: jobsListHash() }, 'Back to the jobs')),
  );
}

function loadError(err) {
  return h(
    'div',
    { class: 'empty error-state', role: 'alert' },
    h('h1', {}, 'Could not load this job'),
    h('p', {}, err.describe ? err.describe() : String(err)),
    h('p', { class: 'muted' }, 'Retrying every few seconds.'),
  );
}
