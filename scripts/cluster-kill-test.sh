#!/usr/bin/env bash
# Two instances on one PostgreSQL database, 10,000 `sleep` jobs of 20 ms created through the API,
# one instance killed with SIGKILL while it runs jobs. Then the database must show: every job
# finished, none lost, every job ran once except those in flight on the killed instance (at most
# twice). Prints the counts; exits non-zero if any check fails.
#
#   scripts/cluster-kill-test.sh            (needs PostgreSQL on 127.0.0.1:5432, user postgres)
#   JOBS=2000 scripts/cluster-kill-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-10000}
DB=${DB:-jobserver_cluster}
PORT_A=${PORT_A:-8281}
PORT_B=${PORT_B:-8282}
work=target/cluster-kill
. scripts/lib/instances.sh
prepare_instances cluster-test manage_jobs 2

# node-b, which takes the creates, starts each job it has room for at once: with as many workers
# as node-a it would run nearly all of them and leave node-a, which only polls, too little to be
# killed in the middle of. With 1 worker (50 jobs/s of 20 ms) it leaves the rest to node-a, which
# finds a backlog at each poll and always has some running.
export JOBSERVER_LEASE_MS=3000 JOBSERVER_RECOVERY_MS=500
JOBSERVER_WORKERS=16 start_instance a "$PORT_A"; PID_A=$INSTANCE_PID
wait_ready "$PORT_A" # the first instance creates the schema; then the second starts
JOBSERVER_WORKERS=1 start_instance b "$PORT_B"; PID_B=$INSTANCE_PID
wait_ready "$PORT_B"
echo "two instances up: node-a on $PORT_A (pid $PID_A), node-b on $PORT_B (pid $PID_B)"

# create the jobs through node-b; node-a finds work by polling the shared table
java bench/Bench.java create "http://localhost:$PORT_B" "$TOKEN" "$JOBS" 16 sleep '{"duration_ms":"20"}' \
  > "$work/create.txt" 2>&1 &
creator=$!

# kill node-a once it has finished a good number of jobs and is running some. Its jobs take 20 ms,
# so one seen running may be over by the time the kill lands: freeze node-a (SIGSTOP), wait until
# PostgreSQL has processed all it sent (none of its sessions, named by ApplicationName, is active),
# and record its running jobs while it is frozen: nothing of it can change them any more (an open
# transaction of it is rolled back at the kill). Recording after the kill would race with node-b,
# which takes them over as soon as their leases expire (the dead process takes up to 2 s to go
# here). With no job running, let it go on and try again.
in_flight_sql="SELECT id FROM job WHERE lease_owner LIKE 'node-a-%' AND status IN ('RUNNING', 'CANCEL_REQUESTED')"
freezes=0
recorded=0
for _ in $(seq 1 600); do
  done_a=$(sql "SELECT COUNT(*) FROM job_event WHERE actor LIKE 'engine:node-a-%' AND old_status = 'RUNNING'")
  running_a=$(sql "SELECT COUNT(*) FROM ($in_flight_sql) r")
  if [ "$done_a" -ge $((JOBS / 10)) ] && [ "$running_a" -gt 0 ]; then
    freezes=$((freezes + 1))
    kill -STOP "$PID_A"
    for _ in $(seq 1 40); do
      active=$(sql "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'node-a' AND state = 'active'")
      [ "$active" = 0 ] && break
      sleep 0.05
    done
    sleep 0.1
    running_a=$(sql "SELECT COUNT(*) FROM ($in_flight_sql) r")
    if [ "$running_a" -gt 0 ]; then
      sql "CREATE TABLE killed_in_flight AS $in_flight_sql"
      recorded=1
      break
    fi
    kill -CONT "$PID_A"
  fi
  sleep 0.1
done
kill -9 "$PID_A"
[ "$recorded" = 1 ] || sql "CREATE TABLE killed_in_flight AS $in_flight_sql"
while kill -0 "$PID_A" 2>/dev/null; do sleep 0.05; done
in_flight=$(sql "SELECT COUNT(*) FROM killed_in_flight")
echo "killed node-a (SIGKILL) after it finished $done_a jobs, with $in_flight in flight (frozen $freezes times to find jobs running)"

wait "$creator" || { cat "$work/create.txt"; echo "creating jobs failed" >&2; exit 1; }
grep -E '^(created|create_rate)' "$work/create.txt"

# wait for every job to finish (node-a's leases expire after 3 s and node-b takes them over)
for _ in $(seq 1 600); do
  open=$(sql "SELECT COUNT(*) FROM job WHERE status NOT IN ('COMPLETED','WARNING','FAILED','CANCELED','SKIPPED','ABANDONED')")
  [ "$open" = 0 ] && break
  sleep 0.5
done

total=$(sql "SELECT COUNT(*) FROM job")
completed=$(sql "SELECT COUNT(*) FROM job WHERE status = 'COMPLETED'")
unfinished=$(sql "SELECT COUNT(*) FROM job WHERE status NOT IN ('COMPLETED','WARNING','FAILED','CANCELED','SKIPPED','ABANDONED')")
# a run is a claim (-> RUNNING) that was not handed back unstarted (claimed ahead, no worker free)
runs="SELECT job_id, COUNT(*) FILTER (WHERE new_status = 'RUNNING')
  - COUNT(*) FILTER (WHERE new_status = 'PENDING' AND (message LIKE 'handed back: no worker%'
                     OR message LIKE 'handed back: its type%')) AS n
  FROM job_event GROUP BY job_id"
once=$(sql "SELECT COUNT(*) FROM ($runs) r WHERE n = 1")
twice=$(sql "SELECT COUNT(*) FROM ($runs) r WHERE n = 2")
more=$(sql "SELECT COUNT(*) FROM ($runs) r WHERE n > 2")
never=$(sql "SELECT COUNT(*) FROM job j WHERE NOT EXISTS (SELECT 1 FROM ($runs) r WHERE r.job_id = j.id AND r.n >= 1)")
twice_not_in_flight=$(sql "SELECT COUNT(*) FROM ($runs) r WHERE n > 1 AND job_id NOT IN (SELECT id FROM killed_in_flight)")
recovered=$(sql "SELECT COUNT(*) FROM job_event WHERE message LIKE 'requeued: the instance running it (node-a-%'")
by_b=$(sql "SELECT COUNT(*) FROM job_event WHERE actor LIKE 'engine:node-b-%' AND new_status = 'COMPLETED'")

echo "jobs created:                        $total of $JOBS"
echo "jobs finished (completed):           $completed"
echo "jobs lost or unfinished:             $((JOBS - completed))"
echo "ran once:                            $once"
echo "ran twice:                           $twice (in flight on the killed instance: $in_flight, recovered from its leases: $recovered)"
echo "ran more than twice:                 $more"
echo "never ran:                           $never"
echo "completed by node-a before the kill: $done_a; by node-b: $by_b"

fail=0
[ "$total" = "$JOBS" ] || { echo "FAIL: $total jobs in the database, expected $JOBS"; fail=1; }
[ "$completed" = "$JOBS" ] || { echo "FAIL: $completed completed, expected $JOBS ($unfinished unfinished)"; fail=1; }
[ "$more" = 0 ] || { echo "FAIL: $more jobs ran more than twice"; fail=1; }
[ "$never" = 0 ] || { echo "FAIL: $never jobs never ran"; fail=1; }
[ "$twice_not_in_flight" = 0 ] || { echo "FAIL: $twice_not_in_flight jobs ran twice without being in flight on the killed instance"; fail=1; }
[ "$twice" -le "$in_flight" ] || { echo "FAIL: more jobs ran twice than were in flight"; fail=1; }
[ "$in_flight" -gt 0 ] || { echo "FAIL: node-a had no job in flight when it was killed: recovery was not tested"; fail=1; }

kill -TERM "$PID_B" 2>/dev/null || true
for _ in $(seq 1 60); do kill -0 "$PID_B" 2>/dev/null || break; sleep 0.5; done
if [ "$fail" = 0 ]; then echo "cluster kill test: PASSED"; else echo "cluster kill test: FAILED"; exit 1; fi
