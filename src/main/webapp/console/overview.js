// The overview: what is running and waiting, what failed in the last hour, per type, and the
// instances with their workers. Counts link to the matching jobs. Refreshed every 5 s.

import { api } from './api.js';
import { formatCount, formatDuration, formatRelative, h, replaceContent, svg } from './ui.js';

const REFRESH_MS = 5000;
const HISTORY_MS = 15 * 60e3;
const INSTANCE_STALE_MS = 30e3;

const FINISHED = ['completed', 'warning', 'failed', 'canceled', 'skipped', 'abandoned'];

/** Queue samples kept across visits to this view, so the chart does not start empty each time. */
const samples = [];

export function renderOverview(main, ctx) {
  const body = h('div', { class: 'overview', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading…'));
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Overview'), h('span', { class: 'muted' }, 'All types, all instances; refreshed every 5 s')),
    body,
  );
  let hadAnswer = false;

  const load = async () => {
    let stats;
    try {
      stats = await api.stats();
    } catch (err) {
      if (!hadAnswer) {
        replaceContent(
          body,
          h('div', { class: 'empty error-state', role: 'alert' }, h('h2', {}, 'Could not load the figures'), h('p', {}, err.describe ? err.describe() : String(err)), h('p', { class: 'muted' }, 'Retrying every few seconds.')),
        );
      }
      throw err;
    }
    hadAnswer = true;
    body.removeAttribute('aria-busy');
    const totals = summarize(stats);
    record(totals);
    replaceContent(
      body,
      cards(totals, stats),
      h(
        'div',
        { class: 'overview-charts' },
        chartPanel('Finished in the last hour, by type', 'chart-throughput', throughputChart(stats)),
        chartPanel('Queue, last 15 minutes', 'chart-queue', queueChart()),
      ),
      typesTable(stats),
      instancesTable(stats.instances || []),
    );
  };

  const refresher = ctx.every(REFRESH_MS, load);
  return { stop: () => refresher.stop() };
}

function count(t, status) {
  return (t && t[status]) || 0;
}

function summarize(stats) {
  const types = stats.types || {};
  const sum = (fn) => Object.values(types).reduce((n, t) => n + fn(t), 0);
  const instances = stats.instances || [];
  return {
    running: sum((t) => count(t, 'running') + count(t, 'cancel_requested')),
    pending: sum((t) => count(t, 'pending')),
    blocked: sum((t) => count(t, 'blocked')),
    finishedHour: sum((t) => t.finished_last_hour || 0),
    failedHour: sum((t) => t.failed_last_hour || 0),
    finishedTotal: sum((t) => FINISHED.reduce((n, s) => n + count(t, s), 0)),
    workers: instances.reduce((n, i) => n + (i.workers || 0), 0),
    busy: instances.reduce((n, i) => n + (i.busy || 0), 0),
  };
}

function record(totals) {
  const now = Date.now();
  samples.push({ at: now, running: totals.running, waiting: totals.pending, finished: totals.finishedTotal });
  while (samples.length && samples[0].at < now - HISTORY_MS) samples.shift();
}

function jobsLink(params, content, label) {
  const p = new URLSearchParams();
  for (const [k, v] of params) p.append(k, v);
  return h('a', { href: `#/jobs${p.toString() ? '?' + p : ''}`, 'aria-label': label || null }, content);
}

function cards(t, stats) {
  const card = (label, value, params, kind, note) =>
    h(
      'li',
      { class: `card${kind ? ' card-' + kind : ''}` },
      jobsLink(params, [h('span', { class: 'card-value' }, formatCount(value)), h('span', { class: 'card-label' }, label), note ? h('span', { class: 'card-note' }, note) : null], `${label}: ${value}`),
    );
  const failRate = t.finishedHour ? Math.round((100 * t.failedHour) / t.finishedHour) : 0;
  return h(
    'ul',
    { class: 'cards', 'aria-label': 'At a glance' },
    card('Running', t.running, [['status', 'running'], ['status', 'cancel_requested']], t.running ? 'running' : null),
    card('Waiting', t.pending, [['status', 'pending']], t.pending ? 'pending' : null, t.blocked ? `${formatCount(t.blocked)} more blocked` : null),
    card('Failed, last hour', t.failedHour, [['status', 'failed'], ['since', '1h']], t.failedHour ? 'failed' : 'ok', t.finishedHour ? `${failRate}% of finished` : null),
    card('Finished, last hour', t.finishedHour, [['since', '1h']], null),
    h(
      'li',
      { class: `card${t.workers && t.busy >= t.workers ? ' card-pending' : ''}` },
      h(
        'div',
        {},
        h('span', { class: 'card-value' }, `${formatCount(t.busy)} / ${formatCount(t.workers)}`),
        h('span', { class: 'card-label' }, 'Workers busy'),
        h('span', { class: 'card-note' }, `${(stats.instances || []).length} instance(s)`),
      ),
    ),
  );
}

function chartPanel(title, id, chart) {
  return h('section', { class: 'panel chart-panel', 'aria-labelledby': id }, h('h2', { id }, title), chart);
}

/** Horizontal bars: per type, the jobs finished in the last hour, the failed part in red. */
function throughputChart(stats) {
  const rows = Object.entries(stats.types || {})
    .map(([type, t]) => ({ type, finished: t.finished_last_hour || 0, failed: t.failed_last_hour || 0 }))
    .sort((a, b) => b.finished - a.finished || a.type.localeCompare(b.type));
  if (!rows.some((r) => r.finished)) return h('p', { class: 'muted chart-empty' }, 'No job finished in the last hour.');
  const max = Math.max(...rows.map((r) => r.finished));
  const rowH = 24;
  const labelW = 120;
  const valueW = 130;
  const width = 560;
  const barW = width - labelW - valueW;
  const height = rows.length * rowH + 4;
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': rows.map((r) => `${r.type}: ${r.finished} finished, ${r.failed} failed`).join('; ') },
    rows.map((r, i) => {
      const y = i * rowH + 2;
      const okW = max ? ((r.finished - r.failed) / max) * barW : 0;
      const failW = max ? (r.failed / max) * barW : 0;
      return svg(
        'g',
        {},
        svg('text', { x: labelW - 8, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, r.type),
        svg('rect', { x: labelW, y: y + 3, width: Math.max(okW, 0), height: rowH - 8, class: 'bar-ok', rx: 2 }),
        svg('rect', { x: labelW + okW, y: y + 3, width: failW, height: rowH - 8, class: 'bar-failed', rx: 2 }),
        svg('text', { x: labelW + okW + failW + 6, y: y + 15, class: 'chart-value' }, `${formatCount(r.finished)}${r.failed ? ` · ${formatCount(r.failed)} failed` : ''}`),
      );
    }),
  );
  return h('div', {}, chart, legend([['bar-ok', 'completed, canceled or skipped'], ['bar-failed', 'failed']]));
}

/** Lines: jobs running and waiting over the last 15 minutes (sampled while this view is open). */
function queueChart() {
  if (samples.length < 2) return h('p', { class: 'muted chart-empty' }, 'Collecting samples… the chart fills in while this page is open.');
  const width = 560;
  const height = 150;
  const left = 36;
  const bottom = 18;
  const now = Date.now();
  const x = (at) => left + ((at - (now - HISTORY_MS)) / HISTORY_MS) * (width - left - 4);
  const max = Math.max(1, ...samples.map((s) => Math.max(s.running, s.waiting)));
  const top = niceCeil(max);
  const y = (v) => 6 + (1 - v / top) * (height - bottom - 6);
  const line = (key) => samples.map((s, i) => `${i ? 'L' : 'M'}${x(s.at).toFixed(1)},${y(s[key]).toFixed(1)}`).join('');
  const last = samples[samples.length - 1];
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': `Now ${last.running} running and ${last.waiting} waiting; at most ${max} in the last 15 minutes` },
    [0, top / 2, top].map((v) =>
      svg('g', {}, svg('line', { x1: left, x2: width - 4, y1: y(v), y2: y(v), class: 'grid' }), svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-axis' }, formatCount(v))),
    ),
    [15, 10, 5, 0].map((m) => svg('text', { x: x(now - m * 60e3), y: height - 4, 'text-anchor': m === 0 ? 'end' : 'middle', class: 'chart-axis' }, m ? `−${m} min` : 'now')),
    svg('path', { d: line('waiting'), class: 'line-waiting' }),
    svg('path', { d: line('running'), class: 'line-running' }),
  );
  return h('div', {}, chart, legend([['line-running', `running (${formatCount(last.running)})`], ['line-waiting', `waiting (${formatCount(last.waiting)})`]]));
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function legend(items) {
  return h('p', { class: 'legend' }, items.map(([cls, label]) => h('span', { class: 'legend-item' }, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), label)));
}

function typesTable(stats) {
  const entries = Object.entries(stats.types || {}).sort((a, b) => a[0].localeCompare(b[0]));
  if (!entries.length) {
    return h('section', { class: 'panel' }, h('h2', {}, 'By type'), h('p', { class: 'muted' }, 'No jobs yet.'));
  }
  const cell = (type, statuses, value, cls, extra = []) =>
    h('td', { class: `num${value && cls ? ' ' + cls : ''}` }, value ? jobsLink([['type', type], ...statuses.map((s) => ['status', s]), ...extra], formatCount(value)) : h('span', { class: 'muted' }, '0'));
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'types-title' },
    h('h2', { id: 'types-title' }, 'By type'),
    h(
      'table',
      { class: 'types-table', id: 'types-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Type'),
          h('th', { scope: 'col', class: 'num' }, 'Waiting'),
          h('th', { scope: 'col', class: 'num' }, 'Blocked'),
          h('th', { scope: 'col', class: 'num' }, 'Running'),
          h('th', { scope: 'col', class: 'num' }, 'Finished, 1 h'),
          h('th', { scope: 'col', class: 'num' }, 'Failed, 1 h'),
          h('th', { scope: 'col', class: 'num' }, 'Failed, all'),
          h('th', { scope: 'col', class: 'num' }, 'Completed, all'),
          h('th', { scope: 'col', class: 'num' }, 'Avg run'),
        ),
      ),
      h(
        'tbody',
        {},
        entries.map(([type, t]) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, jobsLink([['type', type]], type)),
            cell(type, ['pending'], count(t, 'pending'), 'text-pending'),
            cell(type, ['blocked'], count(t, 'blocked'), null),
            cell(type, ['running', 'cancel_requested'], count(t, 'running') + count(t, 'cancel_requested'), 'text-running'),
            cell(type, [], t.finished_last_hour || 0, null, [['since', '1h']]),
            cell(type, ['failed'], t.failed_last_hour || 0, 'text-failed', [['since', '1h']]),
            cell(type, ['failed'], count(t, 'failed'), null),
            cell(type, ['completed'], count(t, 'completed'), null),
            h('td', { class: 'num' }, t.avg_run_ms ? formatDuration(t.avg_run_ms) : h('span', { class: 'muted' }, '—')),
          ),
        ),
      ),
    ),
  );
}

function instancesTable(instances) {
  const now = Date.now();
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'instances-title' },
    h('h2', { id: 'instances-title' }, 'Instances'),
    instances.length
      ? h(
          'table',
          { class: 'instances-table' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Instance'), h('th', { scope: 'col' }, 'Workers busy'), h('th', { scope: 'col' }, 'Last seen'))),
          h(
            'tbody',
            {},
            instances.map((i) => {
              const age = now - new Date(i.last_seen_at).getTime();
              const stale = !(age < INSTANCE_STALE_MS);
              const pct = i.workers ? Math.round((100 * (i.busy || 0)) / i.workers) : 0;
              return h(
                'tr',
                {},
                h('td', { class: 'mono' }, i.id),
                h(
                  'td',
                  {},
                  h('span', { class: 'meter' }, h('span', { class: 'meter-fill', style: `width:${pct}%` })),
                  ` ${formatCount(i.busy || 0)} of ${formatCount(i.workers || 0)}`,
                ),
                h('td', { class: stale ? 'text-failed' : '' }, h('time', { datetime: i.last_seen_at, title: i.last_seen_at }, formatRelative(i.last_seen_at) || '—'), stale ? ' · not answering' : ''),
              );
            }),
          ),
        )
      : h('p', { class: 'muted' }, 'No instance has reported yet.'),
  );
}
