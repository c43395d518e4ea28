// The jobs list: newest first, filtered by type(s), status(es), creation time and id prefix, paged
// with the API's keyset cursor (any page costs the same, so paging through millions is fine), and
// refreshed every few seconds so new jobs and status changes show without a reload.

import { api } from './api.js';
import {
  formatCount,
  formatDuration,
  h,
  isFinished,
  isoToLocalInput,
  jobDurations,
  localInputToIso,
  replaceContent,
  statusBadge,
  STATUSES,
  timeCell,
} from './ui.js';

const REFRESH_MS = 3000;
const PAGE_SIZES = [25, 50, 100, 200];

const TIME_PRESETS = [
  { value: '', label: 'Any time' },
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60e3 },
  { value: '1h', label: 'Last hour', ms: 3600e3 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3600e3 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600e3 },
  { value: 'custom', label: 'Between…' },
];

/** The last list address, so that "Back to jobs" on a job returns to the same filters and page. */
let lastListHash = '#/jobs';
export function jobsListHash() {
  return lastListHash;
}

/** An id the person pressed Enter on: opened when the search answers with exactly that job. */
let openExactId = null;

let refocusSearch = false;

/** Cursors of the pages before the current one, for "Newer"; kept while the filters stay. */
let cursorTrail = [];
let trailFilterKey = '';

function filterKey(params) {
  const p = new URLSearchParams(params);
  p.delete('cursor');
  p.delete('focus');
  return p.toString();
}

/** The API query for the filters in the address; relative times are taken from now. */
export function queryFromParams(params, now = Date.now()) {
  const query = {
    type: params.getAll('type'),
    status: params.getAll('status'),
    q: (params.get('q') || '').trim() || null,
    schedule_id: params.get('schedule') || null,
    limit: params.get('limit') || null,
    cursor: params.get('cursor') || null,
  };
  const since = params.get('since') || '';
  const preset = TIME_PRESETS.find((t) => t.value === since && t.ms);
  if (preset) {
    query.created_after = new Date(now - preset.ms).toISOString();
  } else if (since === 'custom') {
    query.created_after = params.get('after') || null;
    query.created_before = params.get('before') || null;
  }
  return query;
}

export function renderJobs(main, ctx) {
  const params = new URLSearchParams(ctx.params);
  const focusSearch = params.get('focus') === 'search';
  params.delete('focus');
  ctx.replaceRoute('/jobs', params);
  lastListHash = `#/jobs${params.toString() ? '?' + params : ''}`;

  if (filterKey(params) !== trailFilterKey) {
    cursorTrail = [];
    trailFilterKey = filterKey(params);
  }

  /** Applies new filters: back to the newest page. */
  const setFilters = (mutate) => {
    refocusSearch = document.activeElement === search;
    const next = new URLSearchParams(params);
    mutate(next);
    next.delete('cursor');
    cursorTrail = [];
    ctx.navigate('/jobs', next);
  };

  // --- filter bar --------------------------------------------------------------------------------
  const search = h('input', {
    id: 'search',
    type: 'search',
    value: params.get('q') || '',
    placeholder: 'Job id or its beginning',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'search-help',
  });
  let searchTimer = null;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => applySearch(false), 400);
  });
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      clearTimeout(searchTimer);
      applySearch(true);
    } else if (event.key === 'Escape' && search.value) {
      search.value = '';
      applySearch(false);
    }
  });
  const applySearch = (openIfExact) => {
    const value = search.value.trim();
    openExactId = openIfExact && value ? value : null;
    if (value === (params.get('q') || '')) {
      if (openExactId) refresher.now();
      return;
    }
    setFilters((p) => (value ? p.set('q', value) : p.delete('q')));
  };

  const typeBox = multiSelect({
    id: 'filter-type',
    label: 'Types',
    allLabel: 'All types',
    selected: params.getAll('type'),
    options: [],
    onChange: (values) => setFilters((p) => setAll(p, 'type', values)),
  });
  ctx
    .types()
    .then((list) => typeBox.setOptions(list.map((t) => ({ value: t.type, label: t.type, hint: t.description }))))
    .catch(() => typeBox.setOptions(params.getAll('type').map((t) => ({ value: t, label: t }))));

  const statusBox = multiSelect({
    id: 'filter-status',
    label: 'Statuses',
    allLabel: 'All statuses',
    selected: params.getAll('status'),
    options: STATUSES.map((s) => ({ value: s.name, label: s.label, status: s.name })),
    onChange: (values) => setFilters((p) => setAll(p, 'status', values)),
  });

  const since = params.get('since') || '';
  const timeSelect = h(
    'select',
    { id: 'filter-time', 'aria-label': 'Created' },
    TIME_PRESETS.map((t) => h('option', { value: t.value, selected: t.value === since }, t.label)),
  );
  timeSelect.addEventListener('change', () =>
    setFilters((p) => {
      if (timeSelect.value) p.set('since', timeSelect.value);
      else p.delete('since');
      if (timeSelect.value !== 'custom') {
        p.delete('after');
        p.delete('before');
      }
    }),
  );
  const customRange =
    since === 'custom'
      ? h(
          'span',
          { class: 'range' },
          dateInput('after', 'Created after', params, setFilters),
          h('span', { 'aria-hidden': 'true' }, '–'),
          dateInput('before', 'Created before', params, setFilters),
        )
      : null;

  const filtered = ['type', 'status', 'since', 'q', 'schedule'].some((k) => params.has(k));
  // the jobs of one schedule (from its page): shown as a filter that can be removed
  const scheduleId = params.get('schedule');
  const scheduleFilter = scheduleId
    ? h(
        'div',
        { class: 'field' },
        h('span', { class: 'label' }, 'Schedule'),
        h(
          'span',
          { class: 'chip', id: 'filter-schedule' },
          h('a', { class: 'mono', href: `#/schedules/${encodeURIComponent(scheduleId)}` }, scheduleId),
          h('button', { type: 'button', class: 'chip-remove', 'aria-label': 'Show the jobs of every schedule', title: 'Remove this filter', onclick: () => setFilters((p) => p.delete('schedule')) }, '×'),
        ),
      )
    : null;
  const clear = filtered
    ? h('button', { type: 'button', class: 'link', onclick: () => ctx.navigate('/jobs', new URLSearchParams()) }, 'Clear filters')
    : null;

  const toolbar = h(
    'div',
    { class: 'toolbar', role: 'search' },
    h(
      'div',
      { class: 'field search-field' },
      h('label', { for: 'search' }, 'Find a job'),
      search,
      h('span', { class: 'help', id: 'search-help' }, 'Enter opens an exact match · press / to come here'),
    ),
    h('div', { class: 'field' }, h('span', { class: 'label' }, 'Type'), typeBox.el),
    h('div', { class: 'field' }, h('span', { class: 'label' }, 'Status'), statusBox.el),
    h('div', { class: 'field' }, h('label', { for: 'filter-time' }, 'Created'), h('span', { class: 'row' }, timeSelect, customRange)),
    scheduleFilter,
    h('div', { class: 'field field-end' }, clear),
  );

  // --- table and pager ---------------------------------------------------------------------------
  const tableRegion = h('div', { class: 'table-region', 'aria-live': 'off' });
  const pager = h('div', { class: 'pager' });
  const pagerTop = h('div', { class: 'pager pager-top' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Jobs'), h('span', { class: 'muted' }, 'Newest first; refreshed every 3 s on the newest page')),
    toolbar,
    pagerTop,
    tableRegion,
    pager,
  );
  if (focusSearch || refocusSearch) {
    // the list re-renders on every filter change; someone typing an id keeps typing
    search.focus();
    search.setSelectionRange(search.value.length, search.value.length);
    refocusSearch = false;
  }

  let knownIds = null; // ids on screen after the first answer: later arrivals are highlighted
  let lastAnswer = null;

  const load = async () => {
    const query = queryFromParams(params);
    let page;
    try {
      page = await api.jobs(query);
    } catch (err) {
      if (err.status === 400) {
        // a filter the server refused: say which, keep the rest of the page usable
        replaceContent(tableRegion, errorState(err, () => ctx.navigate('/jobs', new URLSearchParams())));
        pager.replaceChildren();
        pagerTop.replaceChildren();
        return;
      }
      if (!lastAnswer) replaceContent(tableRegion, errorState(err));
      throw err;
    }
    if (openExactId && openExactId === query.q) {
      const exact = page.jobs.find((j) => j.id === openExactId);
      openExactId = null;
      if (exact) {
        ctx.navigate(`/jobs/${encodeURIComponent(exact.id)}`);
        return;
      }
    }
    const answer = JSON.stringify(page);
    if (answer === lastAnswer) {
      refreshTimes(tableRegion);
      return;
    }
    lastAnswer = answer;
    const fresh = new Set();
    if (knownIds) for (const j of page.jobs) if (!knownIds.has(j.id)) fresh.add(j.id);
    knownIds = new Set([...(knownIds || []), ...page.jobs.map((j) => j.id)]);
    replaceContent(tableRegion, page.jobs.length ? jobsTable(page.jobs, fresh, ctx) : emptyState(filtered, ctx));
    renderPager(page);
  };

  const renderPager = (page) => {
    const pageNo = cursorTrail.length + 1;
    const limit = Number(params.get('limit')) || 50;
    const go = (cursor, trail) => {
      cursorTrail = trail;
      const next = new URLSearchParams(params);
      if (cursor) next.set('cursor', cursor);
      else next.delete('cursor');
      ctx.navigate('/jobs', next);
    };
    const current = params.get('cursor');
    const build = (where) => {
      const bottom = where === 'bottom';
      const sizeSelect = bottom
        ? h(
            'select',
            { id: 'page-size', 'aria-label': 'Jobs per page', 'data-focus-key': 'page-size' },
            PAGE_SIZES.map((n) => h('option', { value: n, selected: n === limit }, `${n} per page`)),
          )
        : null;
      if (sizeSelect) sizeSelect.addEventListener('change', () => setFilters((p) => p.set('limit', sizeSelect.value)));
      return [
        h(
          'span',
          { class: 'muted' },
          !page.jobs.length
            ? ''
            : current && !cursorTrail.length
              ? `An older page · ${formatCount(page.jobs.length)} jobs` // opened from a link: its number is unknown
              : `Page ${formatCount(pageNo)} · jobs ${formatCount((pageNo - 1) * limit + 1)}–${formatCount((pageNo - 1) * limit + page.jobs.length)}`,
          current ? ' · new jobs appear on the newest page' : '',
        ),
        h(
          'span',
          { class: 'pager-buttons' },
          h('button', { type: 'button', disabled: !current, 'data-focus-key': `${where}-newest`, onclick: () => go(null, []) }, '⇤ Newest'),
          h(
            'button',
            {
              type: 'button',
              disabled: !current,
              'data-focus-key': `${where}-newer`,
              onclick: () => go(cursorTrail[cursorTrail.length - 1] || null, cursorTrail.slice(0, -1)),
            },
            '← Newer',
          ),
          h(
            'button',
            {
              type: 'button',
              disabled: !page.next_cursor,
              'data-focus-key': `${where}-older`,
              onclick: () => go(page.next_cursor, [...cursorTrail, current]),
            },
            'Older →',
          ),
          sizeSelect,
        ),
      ];
    };
    // above the table too: at 1366x768 the bottom one is out of sight
    replaceContent(pagerTop, ...(page.jobs.length && (current || page.next_cursor) ? build('top') : []));
    replaceContent(pager, ...build('bottom'));
  };

  const refresher = ctx.every(REFRESH_MS, load);
  return {
    stop() {
      clearTimeout(searchTimer);
      refresher.stop();
      typeBox.close();
      statusBox.close();
    },
  };
}

function setAll(params, key, values) {
  params.delete(key);
  for (const v of values) params.append(key, v);
}

function dateInput(key, label, params, setFilters) {
  const input = h('input', {
    type: 'datetime-local',
    'aria-label': label,
    value: isoToLocalInput(params.get(key)),
  });
  input.addEventListener('change', () =>
    setFilters((p) => {
      const iso = localInputToIso(input.value);
      if (iso) p.set(key, iso);
      else p.delete(key);
    }),
  );
  return input;
}

function jobsTable(jobs, fresh, ctx) {
  const now = Date.now();
  const open = (id) => ctx.navigate(`/jobs/${encodeURIComponent(id)}`);
  return h(
    'table',
    { class: 'jobs' },
    h('caption', { class: 'visually-hidden' }, 'Jobs, newest first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', class: 'col-status' }, 'Status'),
        h('th', { scope: 'col' }, 'Job id'),
        h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col', class: 'col-progress' }, 'Progress or error'),
        h('th', { scope: 'col' }, 'Created'),
        h('th', { scope: 'col' }, 'Waited'),
        h('th', { scope: 'col' }, 'Ran'),
        h('th', { scope: 'col', class: 'num' }, 'Attempt'),
        h('th', { scope: 'col' }, 'Created by'),
      ),
    ),
    h(
      'tbody',
      {},
      jobs.map((job) => {
        const d = jobDurations(job, now);
        const row = h(
          'tr',
          { class: fresh.has(job.id) ? 'row-new' : null, dataset: { id: job.id } },
          h('td', {}, statusBadge(job.status)),
          h(
            'td',
            { class: 'mono' },
            h('a', { href: `#/jobs/${encodeURIComponent(job.id)}`, 'data-focus-key': `job-${job.id}`, class: 'job-link' }, job.id),
          ),
          h('td', {}, job.type),
          h('td', { class: 'col-progress' }, job.error && isFinished(job.status) ? h('span', { class: `row-error text-${job.status}`, title: job.error }, job.error.split('\n')[0]) : progressBar(job, true)),
          h('td', {}, timeCell(job.created_at)),
          h('td', { class: 'muted' }, d.waited !== null ? formatDuration(d.waited) : pendingFor(job, now)),
          h('td', { dataset: d.running ? { runningSince: job.started_at } : {} }, d.ran !== null ? formatDuration(d.ran) : '—'),
          h('td', { class: 'num' }, `${job.attempt || 0}/${job.max_attempts || 1}`),
          h('td', { class: 'ellipsis', title: job.created_by || '' }, job.created_by || '—'),
        );
        row.addEventListener('click', (event) => {
          if (event.target.closest('a, button') || window.getSelection().toString()) return;
          open(job.id);
        });
        return row;
      }),
    ),
  );
}

function pendingFor(job, now) {
  if (isFinished(job.status) || job.started_at) return '—';
  const due = Math.max(new Date(job.created_at).getTime() || 0, new Date(job.run_at).getTime() || 0);
  if (due > now) return h('span', { title: job.run_at }, `due in ${formatDuration(due - now)}`);
  return h('span', { class: 'waiting' }, `${formatDuration(now - due)} so far`);
}

/** Running times tick between answers without asking the server. */
function refreshTimes(region) {
  const now = Date.now();
  for (const td of region.querySelectorAll('[data-running-since]')) {
    td.textContent = formatDuration(now - new Date(td.dataset.runningSince).getTime());
  }
}

export function progressBar(job, compact) {
  const finished = isFinished(job.status);
  const value = Math.max(0, Math.min(100, job.progress || 0));
  if (compact && job.status !== 'running' && job.status !== 'cancel_requested' && !(finished && value > 0 && value < 100)) {
    return h('span', { class: 'muted' }, finished ? '' : '—');
  }
  return h(
    'span',
    { class: `progress progress-${job.status}${compact ? ' progress-compact' : ''}` },
    h('span', {
      class: 'progress-track',
      role: 'progressbar',
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': String(value),
      'aria-label': `Progress ${value}%`,
    }, h('span', { class: 'progress-fill', style: `width:${value}%` })),
    h('span', { class: 'progress-text' }, `${value}%`),
  );
}

function emptyState(filtered, ctx) {
  return h(
    'div',
    { class: 'empty' },
    filtered
      ? [
          h('h2', {}, 'No jobs match these filters'),
          h('p', {}, 'Widen the time range, pick other statuses, or check the id.'),
          h('button', { type: 'button', onclick: () => ctx.navigate('/jobs', new URLSearchParams()) }, 'Clear filters'),
        ]
      : [
          h('h2', {}, 'No jobs yet'),
          h(
            'p',
            {},
            ctx.me.can_write ? 'Run one with “Run a job” above, or create one through the API.' : 'Jobs appear here as soon as a client creates one.',
          ),
        ],
  );
}

function errorState(err, onClear) {
  return h(
    'div',
    { class: 'empty error-state', role: 'alert' },
    h('h2', {}, err.status === 400 ? 'The server refused these filters' : 'Could not load jobs'),
    h('p', {}, err.describe ? err.describe() : String(err)),
    onClear ? h('button', { type: 'button', onclick: onClear }, 'Clear filters') : h('p', { class: 'muted' }, 'Retrying every few seconds.'),
  );
}

/**
 * A dropdown of checkboxes (native <details>: keyboard and screen readers work without code).
 * Changes apply when it closes, so ticking three statuses is one query, not three.
 */
function multiSelect({ id, label, allLabel, selected, options, onChange }) {
  let chosen = new Set(selected);
  const summary = h('summary', { id, 'aria-label': label });
  const list = h('div', { class: 'dropdown-panel', role: 'group', 'aria-label': label });
  const el = h('details', { class: 'dropdown' }, summary, list);

  const paintSummary = () => {
    const n = chosen.size;
    const labelOf = (v) => (knownOptions.find((o) => o.value === v) || { label: v }).label;
    summary.textContent = n === 0 ? allLabel : n === 1 ? labelOf([...chosen][0]) : `${n} ${label.toLowerCase()}`;
    summary.classList.toggle('active', n > 0);
  };
  let knownOptions = options;
  const setOptions = (opts) => {
    knownOptions = opts;
    paintSummary();
    const all = [...opts];
    for (const v of chosen) if (!all.some((o) => o.value === v)) all.push({ value: v, label: v });
    list.replaceChildren(
      ...all.map((o) => {
        const box = h('input', { type: 'checkbox', value: o.value, checked: chosen.has(o.value) });
        box.addEventListener('change', () => {
          if (box.checked) chosen.add(o.value);
          else chosen.delete(o.value);
          paintSummary();
        });
        return h(
          'label',
          { class: 'dropdown-option', title: o.hint || null },
          box,
          o.status ? h('span', { class: `dot status-${o.status}`, 'aria-hidden': 'true' }) : null,
          o.label,
        );
      }),
      h(
        'div',
        { class: 'dropdown-actions' },
        h('button', { type: 'button', class: 'link', onclick: () => { chosen = new Set(); for (const b of list.querySelectorAll('input')) b.checked = false; paintSummary(); } }, 'None'),
        h('button', { type: 'button', class: 'primary small', onclick: () => { el.open = false; } }, 'Apply'),
      ),
    );
    if (!all.length) list.prepend(h('p', { class: 'muted' }, 'Loading…'));
  };
  const initial = [...chosen].sort().join();
  el.addEventListener('toggle', () => {
    if (!el.open && [...chosen].sort().join() !== initial) onChange([...chosen]);
  });
  el.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && el.open) {
      el.open = false;
      summary.focus();
    }
  });
  const outside = (event) => {
    if (el.open && !el.contains(event.target)) el.open = false;
  };
  document.addEventListener('click', outside);
  paintSummary();
  setOptions(options);
  return {
    el,
    setOptions,
    close() {
      document.removeEventListener('click', outside);
    },
  };
}
