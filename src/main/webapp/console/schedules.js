// The schedules: every schedule with what it runs and when, its next and last run, its policies and
// counts (#/schedules), and one schedule with its definition, its run history (the jobs it created)
// and who changed it (#/schedules/<id>). Operators may pause, resume, run it now and delete it.
// Refreshed every 3 s, like the jobs list.

import { api } from './api.js';
import { confirmDialog } from './create.js';
import {
  copyText,
  formatCount,
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
  statusInfo,
  timeCell,
} from './ui.js';

const REFRESH_MS = 3000;
const HISTORY_LIMIT = 25;

// --- pure logic (unit-tested) ----------------------------------------------------------------------

/**
 * An `every` as the server takes it (ISO-8601 days, hours, minutes, seconds: PT10S, PT1H30M, P1D)
 * in milliseconds, or null for anything else.
 */
export function parseEvery(text) {
  const m = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+(?:[.,]\d+)?)S)?)?$/i.exec(
    String(text ?? '').trim(),
  );
  if (!m || m.slice(2).every((g) => g === undefined) || /T$/i.test(String(text).trim())) return null;
  const n = (g) => (g === undefined ? 0 : Number(g.replace(',', '.')));
  const ms = ((n(m[2]) * 24 + n(m[3])) * 60 + n(m[4])) * 60e3 + Math.round(n(m[5]) * 1000);
  return m[1] === '-' ? -ms : ms;
}

const UNITS = [
  { ms: 86400e3, short: 'd', one: 'day' },
  { ms: 3600e3, short: 'h', one: 'hour' },
  { ms: 60e3, short: 'min', one: 'minute' },
  { ms: 1e3, short: 's', one: 'second' },
];

/** "every 10 s", "every hour", "every 1 h 30 min", "every 1.5 s"; the ISO text when unreadable. */
export function describeEvery(every) {
  let ms = parseEvery(every);
  if (ms === null || ms <= 0) return `every ${every}`;
  const parts = [];
  for (const u of UNITS) {
    const last = u.short === 's';
    const v = last ? ms / u.ms : Math.floor(ms / u.ms);
    if (v) parts.push({ v: last ? Math.round(v * 1000) / 1000 : v, u });
    ms -= Math.floor(ms / u.ms) * u.ms;
  }
  if (parts.length === 1 && parts[0].v === 1) return `every ${parts[0].u.one}`;
  return `every ${parts.map((p) => `${p.v} ${p.u.short}`).join(' ')}`;
}

/** When a schedule runs, as a person reads it: {text, detail, cron}. */
export function describeTiming(schedule) {
  if (schedule.cron) {
    const fields = schedule.cron.trim().split(/\s+/).length;
    return { text: schedule.cron, detail: fields === 6 ? 'cron, seconds first' : 'cron', cron: true };
  }
  if (schedule.every) return { text: describeEvery(schedule.every), detail: schedule.every, cron: false };
  return { text: '—', detail: '', cron: false };
}

export const OVERLAP = {
  skip: { label: 'skip', help: 'No new job while its last one is unfinished' },
  allow: { label: 'allow', help: 'A new job at each due time, even while the last one runs' },
};

export const MISFIRE = {
  skip: { label: 'skip', help: 'Due times missed while no instance was up make no job' },
  run_once: { label: 'run once', help: 'One job for all the due times missed while no instance was up' },
};

export function policyInfo(table, value) {
  return table[value] || { label: value || '—', help: '' };
}

/** The buttons a schedule offers: none to a read-only token (the server would refuse them). */
export function scheduleActions(schedule, canWrite, { detail = false } = {}) {
  if (!canWrite || !schedule) return [];
  return [schedule.paused ? 'resume' : 'pause', 'trigger', ...(detail ? ['delete'] : [])];
}

/** A schedule's counted due times: "12 fired · 3 skipped (overlap) · 1 missed". */
export function describeRuns(runs) {
  if (!runs) return '';
  const parts = [`${formatCount(runs.fired)} fired`];
  if (runs.skipped) parts.push(`${formatCount(runs.skipped)} skipped (overlap)`);
  if (runs.missed) parts.push(`${formatCount(runs.missed)} missed`);
  return parts.join(' · ');
}

/** The job id a schedule event's message names ("job <id>", a trigger), or null. */
export function jobInMessage(message) {
  const m = /\bjob ([0-9a-z]{26})\b/.exec(message || '');
  return m ? m[1] : null;
}

export function scheduleName(schedule) {
  return schedule.name || `${schedule.type} schedule`;
}

// --- shared pieces ---------------------------------------------------------------------------------

/** Last jobs' statuses across visits, so the list shows them at once when opened again. */
const lastJobs = new Map();

const ACTIONS = {
  pause: {
    label: 'Pause',
    call: (s) => api.pauseSchedule(s.id),
    done: (s) => `${scheduleName(s)} paused: it creates no job until resumed.`,
  },
  resume: {
    label: 'Resume',
    call: (s) => api.resumeSchedule(s.id),
    done: (s, r) => `${scheduleName(s)} resumed${r && r.next_run_at ? `: next run ${formatTime(r.next_run_at)}` : ''}.`,
  },
  trigger: {
    label: 'Run now',
    title: 'Create its job now; the next run stays as it is',
    call: (s) => api.triggerSchedule(s.id),
    done: (s, job) => `${scheduleName(s)}: job ${job.id} created.`,
  },
  delete: {
    label: 'Delete',
    call: (s) => api.removeSchedule(s.id),
    done: (s) => `Schedule ${scheduleName(s)} deleted; its jobs stay.`,
    confirm: (s) => ({
      title: 'Delete this schedule?',
      body: `${scheduleName(s)} creates no more jobs. The jobs it created stay, and so does its history.`,
      confirm: 'Delete schedule',
      cancel: 'Keep it',
      danger: true,
    }),
  },
};

function actionButton(action, schedule, { busy, where, onAct }) {
  const a = ACTIONS[action];
  const kind = action === 'trigger' ? 'primary' : action === 'delete' ? 'danger-quiet' : '';
  const cls = [kind, where === 'list' ? 'small' : ''].filter(Boolean).join(' ') || null;
  return h(
    'button',
    {
      type: 'button',
      class: cls,
      id: where === 'detail' ? `schedule-${action}` : null,
      title: a.title || null,
      dataset: { action },
      'data-focus-key': `${where}-${action}-${schedule.id}`,
      'aria-label': where === 'list' ? `${a.label} ${scheduleName(schedule)}` : null,
      disabled: busy,
      onclick: () => onAct(action, schedule),
    },
    a.label,
  );
}

/** Runs an action: a toast says what happened (or why not), then `after` with the answer. */
async function perform(action, schedule, ctx, after) {
  const a = ACTIONS[action];
  if (a.confirm && !(await confirmDialog(a.confirm(schedule)))) return false;
  try {
    const result = await a.call(schedule);
    ctx.toast(a.done(schedule, result), 'ok');
    if (after) after(result);
    return true;
  } catch (err) {
    ctx.toast(`${a.label} failed: ${err.describe ? err.describe() : err}`, 'error');
    return false;
  }
}

export function stateBadge(schedule, extraClass) {
  const paused = schedule.paused;
  return h(
    'span',
    { class: `status ${paused ? 'state-paused' : 'state-active'}${extraClass ? ' ' + extraClass : ''}`, title: paused ? 'Paused: it creates no job until resumed' : 'Active: it creates jobs at its due times' },
    h('span', { class: 'status-icon', 'aria-hidden': 'true' }, paused ? '‖' : '↻'),
    paused ? 'Paused' : 'Active',
  );
}

/** A relative time ("in 4 s") that ticks between answers (see tickRelative). */
function relative(iso) {
  return h('span', { class: 'muted relative', dataset: { relative: iso } }, formatRelative(iso));
}

function tickRelative(container) {
  for (const el of container.querySelectorAll('[data-relative]')) {
    const text = formatRelative(el.dataset.relative);
    if (el.textContent !== text) el.textContent = text;
  }
}

function nextRun(schedule) {
  if (schedule.paused) return h('span', { class: 'muted' }, '— paused');
  if (!schedule.next_run_at) return h('span', { class: 'muted', title: 'Its cron has no future time' }, 'none');
  return h('span', { class: 'when' }, timeCell(schedule.next_run_at), ' ', relative(schedule.next_run_at));
}

/** Its last job's status, linking to the job (ids share their first characters: not shown). */
function lastJobBadge(id, known) {
  if (!id) return null;
  const k = known && known.get(id);
  if (k && k.gone) return h('span', { class: 'last-job muted', title: `Job ${id} was deleted` }, 'job deleted');
  const href = `#/jobs/${encodeURIComponent(id)}`;
  if (!k) return h('span', { class: 'last-job' }, h('a', { href, title: `Job ${id}` }, 'its last job'));
  return h(
    'span',
    { class: 'last-job' },
    h('a', { class: 'last-job-link', href, title: `Job ${id}`, 'aria-label': `Last job: ${statusInfo(k.status).label}` }, statusBadge(k.status, 'status-small')),
  );
}

function lastRun(schedule, known) {
  if (!schedule.last_run_at && !schedule.last_job_id) return h('span', { class: 'muted' }, 'never');
  return [
    schedule.last_run_at ? h('span', { class: 'when' }, timeCell(schedule.last_run_at), ' ', relative(schedule.last_run_at)) : null,
    lastJobBadge(schedule.last_job_id, known),
  ];
}

function errorState(title, err) {
  return h(
    'div',
    { class: 'empty error-state', role: 'alert' },
    h('h2', {}, title),
    h('p', {}, err.describe ? err.describe() : String(err)),
    h('p', { class: 'muted' }, 'Retrying every few seconds.'),
  );
}

// --- the list --------------------------------------------------------------------------------------

export function renderSchedules(main, ctx) {
  const region = h('div', { class: 'table-region', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading schedules…'));
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Schedules'), h('span', { class: 'muted' }, 'Oldest first; refreshed every 3 s')),
    region,
  );

  let list = null;
  let lastAnswer = null;
  const busy = new Set(); // schedules with an action under way: their buttons stay disabled

  const paint = () => {
    region.removeAttribute('aria-busy');
    const key = JSON.stringify([list, list.map((s) => lastJobs.get(s.last_job_id)?.status || lastJobs.get(s.last_job_id)?.gone || null), [...busy]]);
    if (key === lastAnswer) {
      tickRelative(region);
      return;
    }
    if (selectingIn(region)) return;
    lastAnswer = key;
    replaceContent(region, list.length ? schedulesTable(list, ctx, busy, onAct) : emptyState(ctx));
  };

  const load = async () => {
    let answer;
    try {
      answer = await api.schedules();
    } catch (err) {
      if (!list) replaceContent(region, errorState('Could not load the schedules', err));
      throw err;
    }
    list = answer.schedules || [];
    await readJobs(idsToRead(list.map((s) => s.last_job_id), lastJobs), lastJobs, api.job);
    paint();
  };

  const onAct = async (action, schedule) => {
    busy.add(schedule.id);
    paint();
    await perform(action, schedule, ctx);
    busy.delete(schedule.id);
    refresher.now();
  };

  const refresher = ctx.every(REFRESH_MS, load);
  return { stop: () => refresher.stop() };
}

function schedulesTable(list, ctx, busy, onAct) {
  const canWrite = ctx.me.can_write;
  return h(
    'table',
    { class: 'jobs schedules', id: 'schedules-table' },
    h('caption', { class: 'visually-hidden' }, 'Schedules, oldest first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Schedule'),
        h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col' }, 'When'),
        h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'Next run'),
        h('th', { scope: 'col' }, 'Last run'),
        h('th', { scope: 'col' }, h('abbr', { title: 'Overlap: while the last job runs · Misfire: due times missed while no instance was up' }, 'Overlap · misfire')),
        h('th', { scope: 'col', class: 'num' }, h('abbr', { title: 'Due times that created a job, on any instance (Run now is not a due time)' }, 'Fired')),
        canWrite ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')) : null,
      ),
    ),
    h(
      'tbody',
      {},
      list.map((s) => {
        const t = describeTiming(s);
        const overlap = policyInfo(OVERLAP, s.overlap);
        const misfire = policyInfo(MISFIRE, s.misfire);
        const row = h(
          'tr',
          { dataset: { id: s.id } },
          h(
            'td',
            { class: 'schedule-cell' },
            h('a', { class: 'job-link schedule-link', href: `#/schedules/${encodeURIComponent(s.id)}`, 'data-focus-key': `schedule-${s.id}` }, scheduleName(s)),
            h('span', { class: 'mono muted small-id' }, s.id),
          ),
          h('td', {}, s.type),
          h(
            'td',
            { class: 'timing' },
            h('span', { class: t.cron ? 'mono' : null, title: t.cron ? 'cron' : s.every }, t.text),
            h('span', { class: 'muted small' }, t.cron ? `${t.detail} · ${s.time_zone}` : s.time_zone),
          ),
          h('td', {}, stateBadge(s)),
          h('td', { class: 'next-run' }, nextRun(s)),
          h('td', { class: 'last-run' }, lastRun(s, lastJobs)),
          h(
            'td',
            { class: 'policies' },
            h('span', { title: `Overlap ${overlap.label}: ${overlap.help}` }, 'overlap ', h('strong', {}, overlap.label)),
            h('span', { title: `Misfire ${misfire.label}: ${misfire.help}` }, 'misfire ', h('strong', {}, misfire.label)),
          ),
          h(
            'td',
            { class: 'num runs', title: describeRuns(s.runs) },
            formatCount(s.runs ? s.runs.fired : 0),
            s.runs && (s.runs.skipped || s.runs.missed)
              ? h('span', { class: 'muted small' }, [s.runs.skipped ? `${formatCount(s.runs.skipped)} skipped` : null, s.runs.missed ? `${formatCount(s.runs.missed)} missed` : null].filter(Boolean).join(' · '))
              : null,
          ),
          canWrite
            ? h('td', { class: 'row-actions' }, scheduleActions(s, true).map((a) => actionButton(a, s, { busy: busy.has(s.id), where: 'list', onAct })))
            : null,
        );
        row.addEventListener('click', (event) => {
          if (event.target.closest('a, button') || window.getSelection().toString()) return;
          ctx.navigate(`/schedules/${encodeURIComponent(s.id)}`);
        });
        return row;
      }),
    ),
  );
}

function emptyState(ctx) {
  return h(
    'div',
    { class: 'empty' },
    h('h2', {}, 'No schedules yet'),
    h(
      'p',
      {},
      ctx.me.can_write
        ? ['Create one through the API: ', h('code', {}, 'POST /api/jobserver/v1/schedules'), ' (see the ', h('a', { href: 'api-docs/' }, 'API explorer'), ').']
        : 'Schedules appear here as soon as someone creates one.',
    ),
  );
}

// --- one schedule ----------------------------------------------------------------------------------

export function renderSchedule(main, id, ctx) {
  const view = h('article', { class: 'job schedule', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading schedule…'));
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/schedules', id: 'back-to-schedules' }, '← Schedules')),
    view,
  );

  let schedule = null;
  let history = null;
  let events = [];
  let loaded = false;
  let lastAnswer = null;
  let busy = false;
  let knownJobs = null; // job ids seen in the history after the first answer: later ones are highlighted
  let fresh = new Set();

  const load = async () => {
    let answer;
    try {
      answer = await Promise.all([
        // a deleted schedule's jobs and changes stay: its page still shows them
        api.schedule(id).catch((err) => {
          if (err.status === 404) return null;
          throw err;
        }),
        api.scheduleJobs(id, { limit: HISTORY_LIMIT }),
        api.scheduleEvents(id),
      ]);
    } catch (err) {
      if (!loaded) replaceContent(view, h('div', { class: 'empty error-state', role: 'alert' }, h('h1', {}, 'Could not load this schedule'), h('p', {}, err.describe ? err.describe() : String(err)), h('p', { class: 'muted' }, 'Retrying every few seconds.')));
      throw err;
    }
    const text = JSON.stringify(answer);
    if (text === lastAnswer) {
      tickRelative(view);
      return;
    }
    if (selectingIn(view)) return;
    lastAnswer = text;
    [schedule, history, events] = answer;
    loaded = true;
    const ids = history.jobs.map((j) => j.id);
    fresh = knownJobs ? new Set(ids.filter((j) => !knownJobs.has(j))) : new Set();
    knownJobs = new Set([...(knownJobs || []), ...ids]);
    if (!schedule && !history.jobs.length && !events.length) {
      replaceContent(view, notFound(id));
      view.removeAttribute('aria-busy');
      refresher.stop();
      return;
    }
    paint();
  };

  const onAct = async (action) => {
    busy = true;
    paint();
    const ok = await perform(action, schedule, ctx, () => {
      if (action === 'delete') {
        refresher.stop();
        ctx.navigate('/schedules');
      }
    });
    busy = false;
    lastAnswer = null;
    if (!(ok && action === 'delete')) refresher.now();
  };

  const paint = () => {
    view.removeAttribute('aria-busy');
    replaceContent(
      view,
      schedule ? header(schedule, ctx, busy, onAct) : goneHeader(id),
      h(
        'div',
        { class: 'job-grid' },
        h('div', { class: 'job-col' }, schedule ? definitionPanel(schedule, history) : null, schedule ? dataPanel(schedule) : null, changesPanel(events)),
        h('div', { class: 'job-col' }, historyPanel(id, history, fresh, ctx)),
      ),
    );
  };

  const refresher = ctx.every(REFRESH_MS, load);
  return { stop: () => refresher.stop() };
}

function header(s, ctx, busy, onAct) {
  const t = describeTiming(s);
  return h(
    'header',
    { class: 'job-head' },
    h(
      'div',
      { class: 'job-title' },
      h('h1', {}, h('span', { class: 'job-type', id: 'schedule-name' }, scheduleName(s)), stateBadge(s, 'status-large')),
      h(
        'p',
        { class: 'job-id' },
        h('span', { class: 'mono', id: 'schedule-id' }, s.id),
        h(
          'button',
          {
            type: 'button',
            class: 'link small',
            'data-focus-key': 'copy-id',
            onclick: async () => ctx.toast((await copyText(s.id)) ? 'Schedule id copied.' : 'Could not copy: select the id instead.'),
          },
          'Copy id',
        ),
      ),
      h('p', { class: 'schedule-summary muted' }, `${s.type} job `, t.cron ? ['on cron ', h('span', { class: 'mono' }, t.text)] : t.text, `, ${s.time_zone}`),
    ),
    h('div', { class: 'job-actions' }, scheduleActions(s, ctx.me.can_write, { detail: true }).map((a) => actionButton(a, s, { busy, where: 'detail', onAct }))),
  );
}

function goneHeader(id) {
  return h(
    'header',
    { class: 'job-head' },
    h(
      'div',
      { class: 'job-title' },
      h('h1', {}, 'Deleted schedule'),
      h('p', { class: 'job-id' }, h('span', { class: 'mono', id: 'schedule-id' }, id)),
      h('p', { class: 'muted' }, 'This schedule was deleted; the jobs it created and its changes are kept.'),
    ),
  );
}

function panel(title, id, ...content) {
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

function row(label, ...value) {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function definitionPanel(s, history) {
  const t = describeTiming(s);
  const overlap = policyInfo(OVERLAP, s.overlap);
  const misfire = policyInfo(MISFIRE, s.misfire);
  const last = s.last_job_id && history ? history.jobs.find((j) => j.id === s.last_job_id) : null;
  return panel(
    'Definition',
    'definition-title',
    h(
      'dl',
      { class: 'facts', id: 'schedule-definition' },
      row('Type', s.type),
      t.cron
        ? row('Cron', h('span', { class: 'mono' }, t.text), h('span', { class: 'muted' }, ` (${t.detail})`))
        : row('Every', t.text, ' ', h('span', { class: 'mono muted' }, `(${s.every})`)),
      row('Time zone', s.time_zone),
      row('Next run', h('span', { id: 'schedule-next-run' }, nextRun(s))),
      row(
        'Last run',
        s.last_run_at ? [timeCell(s.last_run_at), ' ', relative(s.last_run_at)] : h('span', { class: 'muted' }, 'never'),
        s.last_job_id
          ? [' · ', last ? statusBadge(last.status, 'status-small') : null, ' ', h('a', { class: 'mono', href: `#/jobs/${encodeURIComponent(s.last_job_id)}` }, s.last_job_id)]
          : null,
      ),
      row('Overlap', h('strong', {}, overlap.label), h('span', { class: 'muted' }, ` — ${overlap.help}`)),
      row('Misfire', h('strong', {}, misfire.label), h('span', { class: 'muted' }, ` — ${misfire.help}`)),
      row('Due times', h('span', { id: 'schedule-runs' }, describeRuns(s.runs) || '—'), h('span', { class: 'muted' }, ' (all instances, since it was created; Run now is not counted)')),
      row('Created by', s.created_by || '—'),
      row('Created', timeCell(s.created_at), ' ', h('span', { class: 'muted' }, formatRelative(s.created_at))),
      row('Last change', timeCell(s.updated_at)),
    ),
  );
}

function dataPanel(s) {
  const data = s.data && Object.keys(s.data).length ? JSON.stringify(s.data, null, 2) : null;
  return panel('Data of its jobs', 'data-title', data ? h('pre', { class: 'code', id: 'schedule-data' }, data) : h('p', { class: 'muted' }, 'No data.'));
}

function historyPanel(id, history, fresh, ctx) {
  const jobs = history ? history.jobs : [];
  const all = h('a', { href: `#/jobs?schedule=${encodeURIComponent(id)}`, id: 'schedule-all-jobs' }, 'All its jobs in the Jobs list →');
  if (!jobs.length) return panel('History', 'history-title', h('p', { class: 'muted', id: 'schedule-history-empty' }, 'It has not created a job yet.'));
  const now = Date.now();
  return panel(
    'History',
    'history-title',
    h('p', { class: 'muted panel-note' }, history.next_cursor ? `The newest ${jobs.length} jobs it created. ` : 'The jobs it created, newest first. ', all),
    h(
      'table',
      { class: 'jobs history', id: 'schedule-history' },
      h('caption', { class: 'visually-hidden' }, 'Jobs this schedule created, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', class: 'col-status' }, 'Status'),
          h('th', { scope: 'col' }, 'Job id'),
          h('th', { scope: 'col' }, 'Due'),
          h('th', { scope: 'col' }, 'Created'),
          h('th', { scope: 'col' }, 'Ran'),
        ),
      ),
      h(
        'tbody',
        {},
        jobs.map((job) => {
          const d = jobDurations(job, now);
          const tr = h(
            'tr',
            { class: fresh.has(job.id) ? 'row-new' : null, dataset: { id: job.id } },
            h('td', {}, statusBadge(job.status)),
            h('td', { class: 'mono' }, h('a', { class: 'job-link', href: `#/jobs/${encodeURIComponent(job.id)}`, 'data-focus-key': `job-${job.id}` }, job.id)),
            h('td', {}, job.due_at ? timeCell(job.due_at) : h('span', { class: 'muted', title: 'Created by “Run now”, not for a due time' }, 'run now')),
            h('td', {}, timeCell(job.created_at)),
            h('td', {}, d.ran !== null ? formatDuration(d.ran) : isFinished(job.status) ? '—' : h('span', { class: 'muted' }, 'not started')),
          );
          tr.addEventListener('click', (event) => {
            if (event.target.closest('a, button') || window.getSelection().toString()) return;
            ctx.navigate(`/jobs/${encodeURIComponent(job.id)}`);
          });
          return tr;
        }),
      ),
    ),
  );
}

const ACTION_LABELS = {
  create: 'Created',
  replace: 'Changed',
  pause: 'Paused',
  resume: 'Resumed',
  trigger: 'Run now',
  delete: 'Deleted',
};

function changesPanel(events) {
  if (!events || !events.length) return panel('Changes', 'changes-title', h('p', { class: 'muted' }, 'No changes recorded.'));
  return panel(
    'Changes',
    'changes-title',
    h(
      'table',
      { class: 'events', id: 'schedule-events' },
      h('caption', { class: 'visually-hidden' }, 'Who changed this schedule, oldest first'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'Change'), h('th', { scope: 'col' }, 'By'))),
      h(
        'tbody',
        {},
        events.map((e) => {
          const job = jobInMessage(e.message);
          return h(
            'tr',
            {},
            h('td', { class: 'nowrap' }, h('time', { datetime: e.at, title: e.at }, formatTime(e.at))),
            h(
              'td',
              {},
              h('strong', {}, ACTION_LABELS[e.action] || e.action),
              e.message
                ? h(
                    'div',
                    { class: 'event-message' },
                    job ? [e.message.slice(0, e.message.indexOf(job)), h('a', { class: 'mono', href: `#/jobs/${encodeURIComponent(job)}` }, job), e.message.slice(e.message.indexOf(job) + job.length)] : e.message,
                  )
                : null,
            ),
            h('td', { class: 'actor' }, h('span', { class: 'actor-person' }, e.actor)),
          );
        }),
      ),
    ),
  );
}

function notFound(id) {
  return h(
    'div',
    { class: 'empty' },
    h('h1', {}, 'No such schedule'),
    h('p', {}, 'There is no schedule with the id ', h('span', { class: 'mono' }, id), ', and none had it. The id may be mistyped.'),
    h('p', {}, h('a', { href: '#/schedules' }, 'Back to the schedules')),
  );
}
