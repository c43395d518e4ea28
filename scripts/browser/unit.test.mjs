// The console's pure logic, without a browser: `node --test` (run.sh runs it before the walk).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { looksLikeJwt } from '../../src/main/webapp/console/api.js';
import { queryFromParams } from '../../src/main/webapp/console/jobs.js';
import { formatBytes, formatDuration, isFinished, jobDurations, statusInfo } from '../../src/main/webapp/console/ui.js';

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
