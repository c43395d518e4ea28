// The Mattermost JavaScript client, unchanged, against Jobserver's /api/v4/jobs:
//   node check.mjs BASE_URL TOKEN
// Exits non-zero at the first call that does not behave as a Mattermost server would.
import assert from 'node:assert/strict';
import mm from '@mattermost/client';

const {Client4} = mm;
const [base, token] = process.argv.slice(2);
const client = new Client4();
client.setUrl(base);
client.setToken(token); // Client4 sends "Authorization: BEARER <token>"

const created = await client.createJob({type: 'sleep', data: {duration_ms: '30000'}});
assert.match(created.id, /^[a-z0-9]{26}$/);
assert.equal(created.status, 'pending');
console.log('createJob', created.id, created.status);

const got = await client.getJob(created.id);
assert.equal(got.id, created.id);
console.log('getJob', got.id, got.status);

const page = await client.getJobs(0, 10);
assert.ok(Array.isArray(page) && page.some((j) => j.id === created.id));
console.log('getJobs', page.length, 'jobs');

const byType = await client.getJobsByType('sleep', 0, 10);
assert.ok(byType.every((j) => j.type === 'sleep') && byType.some((j) => j.id === created.id));
console.log('getJobsByType', byType.length, 'jobs');

const canceled = await client.cancelJob(created.id);
assert.equal(canceled.status, 'OK');
let after;
for (let i = 0; i < 100; i++) {
  after = await client.getJob(created.id);
  if (after.status === 'canceled') break;
  await new Promise((r) => setTimeout(r, 50));
}
assert.equal(after.status, 'canceled');
console.log('cancelJob', created.id, after.status);

// errors arrive as the client's ClientError with the server's AppError id
await assert.rejects(client.getJob('abcdefghijklmnopqrstuvwxyz'), (e) => e.server_error_id === 'app.job.get.app_error' && e.status_code === 404);
await assert.rejects(client.createJob({type: 'nope', data: {}}), (e) => e.server_error_id === 'api.job.unable_to_create_job.incorrect_job_type');
console.log('errors: 404 app.job.get.app_error, 400 incorrect_job_type');
console.log('mattermost client check: PASSED');
