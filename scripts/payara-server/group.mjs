// Two instances of a Payara Server deployment group on one database: jobs created on either run
// once, each instance's name is in the events, and a SIGKILL of one instance while it runs jobs
// loses none (its jobs are taken over when their lease expires).
//
//   node group.mjs <url of instance 1 with context root> <url of instance 2 ...> <token> <pid file of instance 1>
//   environment: DB (the PostgreSQL database, read with psql), NAMES (the instances' names, "jobs-1,jobs-2")
//
// Ends with "N passed, N failed" and exits non-zero when a check failed.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const [one, two, token, pidFile] = process.argv.slice(2);
const [nameOne, nameTwo] = (process.env.NAMES || 'jobs-1,jobs-2').split(',');
const JOBS = Number(process.env.JOBS || 60);
let passed = 0;
let failed = 0;

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

async function call(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

const sql = (statement) => execFileSync('psql', ['-d', process.env.DB, '-tAq', '-c', statement], { encoding: 'utf8' }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, ms, fn) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last === true) return;
    await sleep(250);
  }
  throw new Error(`${what} within ${ms} ms; last: ${last}`);
}

const ids = [];

await check(`jobs created on both instances run on both (${nameOne}, ${nameTwo} in the events)`, async () => {
  for (let i = 0; i < JOBS; i++) {
    const base = i % 2 ? two : one;
    ids.push((await call(base, 'POST', '/api/v4/jobs', { type: 'sleep', data: { duration_ms: '1500' } })).id);
  }
  await until('both instances running jobs', 60000, async () => {
    // lease owners are <instance>-<random>
    const owners = sql("SELECT string_agg(DISTINCT lease_owner, ', ') FROM job WHERE status = 'RUNNING'");
    return owners.includes(`${nameOne}-`) && owners.includes(`${nameTwo}-`) ? true : `running jobs' owners: ${owners}`;
  });
});

await check(`SIGKILL of ${nameOne} while it runs jobs: every job still ends success, each ran at most twice`, async () => {
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  const running = sql(`SELECT count(*) FROM job WHERE status = 'RUNNING' AND lease_owner LIKE '${nameOne}-%'`);
  if (Number(running) < 1) throw new Error(`${nameOne} runs no job to be killed in the middle of`);
  process.kill(pid, 'SIGKILL');
  console.log(`     killed ${nameOne} (pid ${pid}) with ${running} of its jobs running`);
  const list = ids.map((id) => `'${id}'`).join(',');
  await until(`all ${JOBS} jobs success`, 120000, async () => {
    const left = sql(`SELECT count(*) FROM job WHERE id IN (${list}) AND status <> 'COMPLETED'`);
    return left === '0' ? true : `${left} not success`;
  });
  const twice = sql(`SELECT count(*) FROM job WHERE id IN (${list}) AND attempt > 1`);
  if (Number(twice) > Number(running)) throw new Error(`${twice} jobs ran twice, only ${running} were running on ${nameOne}`);
  const events = await call(two, 'GET', `/api/jobserver/v1/jobs/${ids[1]}/events`);
  const actors = events.map((e) => e.actor).join(', ');
  if (!actors.includes(`engine:${nameOne}`) && !actors.includes(`engine:${nameTwo}`)) throw new Error(`actors: ${actors}`);
  console.log(`     ${running} in flight on ${nameOne}, ${twice} ran a second time, none lost`);
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
