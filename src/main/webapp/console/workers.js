// Workers: the remote workers connected now (claimed or beat on any instance in the last minute),
// their types, last sighting and the jobs they hold. Refreshed every 5 s.

import { api } from './api.js';
import { formatCount, formatRelative, h, replaceContent } from './ui.js';

const REFRESH_MS = 5000;

export function renderWorkers(main, ctx) {
  const body = h('div', { class: 'workers', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading…'));
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Workers'),
      h('span', { class: 'muted' }, 'Remote workers seen in the last minute; refreshed every 5 s'),
    ),
    body,
  );
  let hadAnswer = false;
  const load = async () => {
    let answer;
    try {
      answer = await api.workers();
    } catch (err) {
      if (!hadAnswer) {
        replaceContent(
          body,
          h('div', { class: 'empty error-state', role: 'alert' }, h('h2', {}, 'Could not load the workers'), h('p', {}, err.describe ? err.describe() : String(err))),
        );
      }
      throw err;
    }
    hadAnswer = true;
    body.removeAttribute('aria-busy');
    replaceContent(body, workersTable(answer.workers || [], ctx));
  };
  const refresher = ctx.every(REFRESH_MS, load);
  return { stop: () => refresher.stop() };
}

function workersTable(workers, ctx) {
  if (!workers.length) {
    return h(
      'section',
      { class: 'panel empty' },
      h('h2', {}, 'No worker is connected'),
      h('p', { class: 'muted' }, 'Remote workers claim jobs of remote types over the worker protocol; see docs/remote-workers.md.'),
    );
  }
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'workers-title' },
    h('h2', { id: 'workers-title' }, `${formatCount(workers.length)} connected`),
    h(
      'table',
      { class: 'workers-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Worker'),
          h('th', { scope: 'col' }, 'Token subject'),
          h('th', { scope: 'col' }, 'Types'),
          h('th', { scope: 'col' }, 'Jobs held'),
          h('th', { scope: 'col' }, 'Last seen'),
          h('th', { scope: 'col' }, 'Via instance'),
        ),
      ),
      h(
        'tbody',
        {},
        workers.map((w) =>
          h(
            'tr',
            {},
            h('td', { class: 'mono' }, w.worker),
            h('td', {}, w.subject),
            h(
              'td',
              {},
              ...w.types.flatMap((t, i) => [
                i ? ', ' : '',
                h('a', { href: `#/jobs?type=${encodeURIComponent(t)}&status=running` }, t),
              ]),
            ),
            h('td', {}, formatCount(w.jobs_held || 0)),
            h('td', {}, h('time', { datetime: w.last_seen_at, title: w.last_seen_at }, formatRelative(w.last_seen_at) || '—')),
            h('td', { class: 'mono' }, w.instance || '—'),
          ),
        ),
      ),
    ),
  );
}
