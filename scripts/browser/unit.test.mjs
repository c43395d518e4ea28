// The console's pure logic, without a browser: `node --test` (run.sh runs it before the walk).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { looksLikeJwt } from '../../src/main/webapp/console/api.js';
import { dependencySummary, describeDependencies, remoteWorker } from '../../src/main/webapp/console/job.js';
import { queryFromParams } from '../../src/main/webapp/console/jobs.js';
import {
  describeEvery,
  describeRuns,
  describeTiming,
  jobInMessage,
  parseEvery,
  scheduleActions,
} from '../../src/main/webapp/console/schedules.js';
import {
  formatBytes,
  formatDuration,
  idsToRead,
  isFinished,
  jobDurations,
  readJobs,
  statusInfo,
} from '../../src/main/webapp/console/ui.js';

test('filters in the address become the API query; relative times count back from now', () => {
  const now = Date.parse('2026-11-28T08:00:00.000Z');
  const q = queryFromParams(new URLSearchParams('type=sleep&type=noop&status=failed&since=1h&q=%20abc%20&limit=100'), now);
  assert.deepEqual(q.type, ['sleep', 'noop']);
  assert.deepEqual(q.status, ['failed']);
  assert.equal(q.q, 'abc');
  assert.equal(q.limit, '100');
  assert.equal(q.created_after, '2026-11-28T07:00:00.000Z');
  assert.equal(q.created_before, undefined);
  assert.equal(q.cursor, null);
});

test('a custom range passes both ends; no time filter passes neither', () => {
  const custom = queryFromParams(
    new URLSearchParams('since=custom&after=2026-11-01T00:00:00.000Z&before=2026-11-02T00:00:00.000Z&cursor=xyz'),
  );
  assert.equal(custom.created_after, '2026-11-01T00:00:00.000Z');
  assert.equal(custom.created_before, '2026-11-02T00:00:00.000Z');
  assert.equal(custom.cursor, 'xyz');
  const none = queryFromParams(new URLSearchParams(''));
  assert.equal(none.created_after, undefined);
  assert.equal(none.q, null);
  assert.deepEqual(none.type, []);
});

test('durations read as a person says them', () => {
  assert.equal(formatDuration(null), '—');
  assert.equal(formatDuration(-5), '0 ms');
  assert.equal(formatDuration(999), '999 ms');
  assert.equal(formatDuration(1500), '1.5 s');
  assert.equal(formatDuration(59_000), '59 s');
  assert.equal(formatDuration(61_000), '1 min 1 s');
  assert.equal(formatDuration(3 * 3600e3 + 5 * 60e3), '3 h 5 min');
  assert.equal(formatDuration(50 * 3600e3), '2 d 2 h');
});

test('sizes in binary units', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(50 * 1024 * 1024), '50 MiB');
});

test('finished statuses are the six of API.md; unknown ones are shown, not hidden', () => {
  const finished = ['completed', 'warning', 'failed', 'canceled', 'skipped', 'abandoned'];
  for (const s of finished) assert.equal(isFinished(s), true, s);
  for (const s of ['pending', 'blocked', 'running', 'cancel_requested']) assert.equal(isFinished(s), false, s);
  assert.equal(statusInfo('mystery').label, 'mystery');
});

test('waited counts from when the job was due, not from its creation', () => {
  const job = {
    created_at: '2026-11-28T08:00:00.000Z',
    run_at: '2026-11-28T08:10:00.000Z',
    started_at: '2026-11-28T08:10:02.000Z',
    finished_at: '2026-11-28T08:10:05.500Z',
  };
  const d = jobDurations(job);
  assert.equal(d.waited, 2000);
  assert.equal(d.ran, 3500);
  assert.equal(d.running, false);
  const running = jobDurations({ ...job, finished_at: null }, Date.parse('2026-11-28T08:10:12.000Z'));
  assert.equal(running.ran, 10000);
  assert.equal(running.running, true);
});

test('a token must look like a JWT before the server is asked', () => {
  assert.equal(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_'), true);
  assert.equal(looksLikeJwt('Bearer abc'), false);
  assert.equal(looksLikeJwt('abc.def'), false);
  assert.equal(looksLikeJwt(''), false);
});

test('the jobs of one schedule: its id from the address goes to the API as schedule_id', () => {
  assert.equal(queryFromParams(new URLSearchParams('schedule=01abc')).schedule_id, '01abc');
  assert.equal(queryFromParams(new URLSearchParams('')).schedule_id, null);
});

test('an interval is read as the server reads it (ISO-8601 days, hours, minutes, seconds)', () => {
  assert.equal(parseEvery('PT10S'), 10_000);
  assert.equal(parseEvery('pt1.5s'), 1500);
  assert.equal(parseEvery('PT1H30M'), 90 * 60e3);
  assert.equal(parseEvery('P1DT2H'), 26 * 3600e3);
  assert.equal(parseEvery(' P2D '), 2 * 86400e3);
  for (const bad of ['P', 'PT', 'P1W', 'P1M', '10s', '', null, 'PT1H30', 'P1DT']) assert.equal(parseEvery(bad), null, String(bad));
});

test('an interval reads as a person says it', () => {
  assert.equal(describeEvery('PT10S'), 'every 10 s');
  assert.equal(describeEvery('PT1S'), 'every second');
  assert.equal(describeEvery('PT1H'), 'every hour');
  assert.equal(describeEvery('P1D'), 'every day');
  assert.equal(describeEvery('PT24H'), 'every day');
  assert.equal(describeEvery('PT1H30M'), 'every 1 h 30 min');
  assert.equal(describeEvery('PT90S'), 'every 1 min 30 s');
  assert.equal(describeEvery('PT1.5S'), 'every 1.5 s');
  assert.equal(describeEvery('P2DT0H5M'), 'every 2 d 5 min');
  assert.equal(describeEvery('R5/PT1S'), 'every R5/PT1S'); // not ours to read: shown as it is
});

test('a cron is shown as written, saying when it has a seconds field', () => {
  assert.deepEqual(describeTiming({ cron: '30 2 * * *', every: null }), { text: '30 2 * * *', detail: 'cron', cron: true });
  assert.equal(describeTiming({ cron: '*/2 * * * * *' }).detail, 'cron, seconds first');
  assert.deepEqual(describeTiming({ cron: null, every: 'PT10S' }), { text: 'every 10 s', detail: 'PT10S', cron: false });
});

test('a read-only token is offered no schedule action; an operator pause or resume, and run now', () => {
  const active = { id: 's', paused: false };
  const paused = { id: 's', paused: true };
  assert.deepEqual(scheduleActions(active, false), []);
  assert.deepEqual(scheduleActions(paused, false, { detail: true }), []);
  assert.deepEqual(scheduleActions(active, true), ['pause', 'trigger']);
  assert.deepEqual(scheduleActions(paused, true), ['resume', 'trigger']);
  assert.deepEqual(scheduleActions(active, true, { detail: true }), ['pause', 'trigger', 'delete']);
  assert.deepEqual(scheduleActions(null, true), []);
});

test('a schedule’s counted due times name skipped and missed ones only when there are some', () => {
  assert.equal(describeRuns({ fired: 1200, skipped: 0, missed: 0 }), '1,200 fired');
  assert.equal(describeRuns({ fired: 3, skipped: 2, missed: 1 }), '3 fired · 2 skipped (overlap) · 1 missed');
  assert.equal(describeRuns(undefined), '');
});

test('a trigger’s change names its job, which becomes a link', () => {
  assert.equal(jobInMessage('job 8kbwz6bs1tfudqh1w9yfbm3ksa'), '8kbwz6bs1tfudqh1w9yfbm3ksa');
  assert.equal(jobInMessage('every PT10S'), null);
  assert.equal(jobInMessage(null), null);
});

test('statuses read again: new and unfinished ones each time, finished ones after a while', () => {
  const now = 1_000_000;
  const known = new Map([
    ['done', { status: 'completed', at: now - 1000 }],
    ['old', { status: 'failed', at: now - 40_000 }],
    ['run', { status: 'running', at: now - 1000 }],
    ['gone', { status: null, gone: true, at: now - 1000 }],
  ]);
  assert.deepEqual(idsToRead(['done', 'old', 'run', 'gone', 'new', 'new', null], known, { now }), ['new', 'old', 'run']);
  assert.deepEqual(idsToRead(['a', 'b', 'c'], new Map(), { now, max: 2 }), ['a', 'b']);
  // at most `max` a round: the ones never read come first, so each is read once soon
  assert.deepEqual(idsToRead(['run', 'x', 'y'], known, { now, max: 2 }), ['x', 'y']);
});

test('reading statuses: a 404 marks a job deleted, another failure keeps what was known', async () => {
  const known = new Map([['flaky', { status: 'running', at: 1 }]]);
  const read = async (id) => {
    if (id === 'ok') return { id, status: 'completed', type: 'noop' };
    const err = new Error('no');
    err.status = id === 'deleted' ? 404 : 503;
    throw err;
  };
  await readJobs(['ok', 'deleted', 'flaky'], known, read, 5);
  assert.deepEqual(known.get('ok'), { status: 'completed', type: 'noop', gone: false, at: 5 });
  assert.deepEqual(known.get('deleted'), { status: null, gone: true, at: 5 });
  assert.deepEqual(known.get('flaky'), { status: 'running', at: 1 });
});

test('dependencies: done, failed, unfinished, deleted and not yet read are told apart', () => {
  const known = new Map([
    ['a', { status: 'completed' }],
    ['b', { status: 'skipped' }],
    ['c', { status: 'running' }],
    ['d', { status: 'abandoned' }],
    ['e', { gone: true }],
  ]);
  const sum = dependencySummary(['a', 'b', 'c', 'd', 'e', 'f'], known);
  assert.deepEqual(sum, { total: 6, done: 2, failed: 1, waiting: 1, gone: 1, unknown: 1 });
  assert.equal(describeDependencies(sum), '2 of 6 done · 1 unfinished · 1 failed or canceled · 1 deleted');
  assert.equal(describeDependencies(dependencySummary(['a'], known)), '1 of 1 done');
});

test('the job page names the remote worker of the latest run', () => {
  assert.equal(remoteWorker([]), null);
  assert.equal(remoteWorker([{ to: 'running', actor: 'engine:node-a' }]), null);
  assert.equal(
    remoteWorker([
      { to: 'pending', actor: 'alice' },
      { to: 'running', actor: 'worker:wendy/host-1' },
      { to: 'pending', actor: 'engine:node-a' },
      { to: 'running', actor: 'worker:wendy/host-2' },
      { to: 'completed', actor: 'worker:wendy/host-2' },
    ]),
    'wendy/host-2',
  );
});
