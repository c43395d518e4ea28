#!/usr/bin/env bash
# asadmin redeploy three times while jobs run, on the DAS of run.sh's domain: after each, the jobs
# that were running were handed back and finished (none lost), and after all three the DAS's live
# threads and the pool's connections in use are back where they were (issue 21: nothing leaks
# across redeploys). Threads are counted with jcmd Thread.print when the DAS is idle (the jobs done,
# the engine's idle job threads ended): Jobserver's own (every thread whose name has "jobserver" in
# it: the engine's loops, jobserver-worker-N, and before issue 21 the executor's
# java:app/concurrent/jobserver-jobs-...) must not be more after than before, and all of the DAS's,
# but for the server's cached pools, at most ALLOWANCE more (the server's own pools vary a
# little). Prints the figures and Jobserver's threads by name; exits non-zero when a check fails.
#
#   bash redeploy.sh <work dir> <admin port> <http port> <database> <token> <DAS pid file>
#   environment: ALLOWANCE (live threads the three redeploys may add in all, 8),
#   PGHOST/PGPORT/PGUSER as run.sh's
set -euo pipefail
work=$1 admin_port=$2 http_port=$3 db=$4 token=$5 pid=$(cat "$6")
base="http://localhost:$http_port/jobserver"
allowance=${ALLOWANCE:-8}
began=$(date +%s)
adm() { "$work/payara6/bin/asadmin" --port "$admin_port" "$@"; }
sql() { psql -d "$db" -tAq -c "$1"; }
threads() { jcmd "$pid" Thread.print | grep -c '^"'; }
# the same without the threads of the server's two cached pools, which grow with each deployment
# and asadmin command and end 60 s after they are idle (kernel's ExecutorServiceFactory and
# GFDomainXml: "Executor-Service-N", "GF Domain XML")
steady() { jcmd "$pid" Thread.print | grep '^"' | grep -c -v -E '^"(Executor-Service-[0-9]+|GF Domain XML)"'; }
# thread names without their numbers, counted: what a leak adds shows up in the difference
names() { jcmd "$pid" Thread.print | sed -n 's/^"\([^"]*\)".*/\1/p' | sed 's/[0-9]\+/N/g' | sort | uniq -c; }
# Jobserver's threads, by name
ours() { jcmd "$pid" Thread.print | sed -n 's/^"\([^"]*[Jj][Oo][Bb][Ss][Ee][Rr][Vv][Ee][Rr][^"]*\)".*/\1/p' | sort; }
inuse() { adm get --monitor 'server.resources.jobserver-pool.numconnused*' | sed -n 's/.*numconnused-current = //p'; }
opened() { sql "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'jobserver'"; }
ready() {
  for _ in $(seq 1 180); do
    curl -sf -o /dev/null "http://localhost:$http_port/health/ready" && return 0
    sleep 1
  done
  echo "FAIL: not ready 180 s after the redeploy" >&2
  return 1
}
settle() { # the jobs all finished, then a few seconds for pools to go idle
  for _ in $(seq 1 240); do
    [ "$(sql "SELECT count(*) FROM job WHERE status IN ('PENDING', 'RUNNING', 'BLOCKED', 'CANCEL_REQUESTED')")" = 0 ] && break
    sleep 1
  done
  sleep 5
  # idle job threads end 12 s after their last job (the worker's 10 s, then the thread's 2 s); one
  # still there after a minute is not idle, or not the current deployment's: the checks say which
  for _ in $(seq 1 60); do
    [ "$(ours | grep -c '^jobserver-worker-')" = 0 ] && break
    sleep 1
  done
}
create() { # $1 jobs sleeping $2 ms
  for _ in $(seq 1 "$1"); do
    curl -sf -o /dev/null -X POST "$base/api/v4/jobs" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d "{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"$2\"}}"
  done
}

echo "+ asadmin set ...module-monitoring-levels.jdbc-connection-pool=HIGH"
adm set configs.config.server-config.monitoring-service.module-monitoring-levels.jdbc-connection-pool=HIGH > /dev/null
settle
threads0=$(threads) steady0=$(steady) inuse0=$(inuse) opened0=$(opened)
names > "$work/threads-before.txt"
ours > "$work/ours-before.txt"
echo "before: $threads0 live threads in the DAS ($steady0 without the server's cached pools, $(wc -l < "$work/ours-before.txt") Jobserver's), $inuse0 pool connections in use, $opened0 open"
failed=0
for round in 1 2 3; do
  first=$(sql "SELECT coalesce(max(create_at), 0) FROM job")
  create 3 15000 # longer than the 10 s grace: handed back and run again by the new deployment
  create 3 1000
  for _ in $(seq 1 60); do
    [ "$(sql "SELECT count(*) FROM job WHERE status = 'RUNNING' AND create_at > $first")" -ge 3 ] && break
    sleep 0.5
  done
  t0=$(date +%s)
  echo "+ asadmin redeploy --name jobserver --contextroot /jobserver $work/jobserver.war"
  adm redeploy --name jobserver --contextroot /jobserver "$work/jobserver.war" > /dev/null
  ready
  took=$(($(date +%s) - t0))
  settle
  mine="create_at > $first"
  left=$(sql "SELECT count(*) FROM job WHERE $mine AND status <> 'COMPLETED'")
  # handed back: a RUNNING -> PENDING event written by the undeployed engine, then run again
  # without using an attempt (a job whose hand-back failed is taken again only after its lease
  # expires, and that costs an attempt)
  again=$(sql "SELECT count(DISTINCT e.job_id) FROM job_event e JOIN job j ON j.id = e.job_id
               WHERE j.$mine AND e.old_status = 'RUNNING' AND e.new_status = 'PENDING' AND j.attempt = 1")
  echo "redeploy $round: ready after $took s; of its 6 jobs $left not completed, $again run again" \
    "after the hand-back; $(threads) live threads ($(ours | wc -l) Jobserver's), $(inuse) connections in use, $(opened) open"
  if [ "$left" != 0 ]; then
    echo "FAIL: redeploy $round lost jobs:" >&2
    sql "SELECT id, status, attempt FROM job WHERE $mine AND status <> 'COMPLETED'" >&2
    failed=1
  fi
  [ "$again" -ge 1 ] || { echo "FAIL: redeploy $round: no running job was handed back" >&2; failed=1; }
done
threads3=$(threads) steady3=$(steady) inuse3=$(inuse) opened3=$(opened)
names > "$work/threads-after.txt"
ours > "$work/ours-after.txt"
ours0=$(wc -l < "$work/ours-before.txt") ours3=$(wc -l < "$work/ours-after.txt")
echo "after 3 redeploys: $threads3 live threads (before: $threads0), $steady3 without the server's" \
  "cached pools (before: $steady0), $ours3 of them Jobserver's" \
  "(before: $ours0), $inuse3 pool connections in use (before: $inuse0), $opened3 open (before: $opened0)"
echo "Jobserver's threads before:" $(sed 's/$/,/' "$work/ours-before.txt")
echo "Jobserver's threads after: " $(sed 's/$/,/' "$work/ours-after.txt")
if [ "$ours3" -gt "$ours0" ]; then
  echo "FAIL: $((ours3 - ours0)) more Jobserver threads after 3 redeploys: the ones an undeployed" \
    "application left behind are among these (count before -> after, numbers as N):" >&2
  diff <(sed 's/[0-9]\+/N/g' "$work/ours-before.txt" | uniq -c) \
    <(sed 's/[0-9]\+/N/g' "$work/ours-after.txt" | uniq -c) >&2 || true
  failed=1
fi
if [ $((steady3 - steady0)) -gt "$allowance" ]; then
  echo "FAIL: $((steady3 - steady0)) more live threads (without the server's cached pools) after" \
    "3 redeploys (allowance $allowance);" \
    "by name (count before -> after):" >&2
  diff "$work/threads-before.txt" "$work/threads-after.txt" >&2 || true
  failed=1
fi
if [ -n "$inuse0" ] && [ "${inuse3:-0}" -gt "$inuse0" ]; then
  echo "FAIL: $inuse3 pool connections in use after 3 redeploys, $inuse0 before" >&2
  failed=1
fi
echo "the redeploy check took $(($(date +%s) - began)) s"
exit $failed
