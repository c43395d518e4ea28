#!/usr/bin/env bash
# Two instances on one PostgreSQL database fire schedules every second (cron "* * * * * *"); one
# of them is killed with SIGKILL while it fires (caught, if it can be, inside a firing
# transaction). Then the database must show, for every schedule: exactly one job per due time from
# its first to its last (none twice: the unique (schedule_id, due_at) key; none skipped while the
# other instance was up), and that the firing went on within a few seconds of the kill. Prints the
# counts; exits non-zero if a check fails.
#
#   scripts/schedule-kill-test.sh            (needs PostgreSQL on 127.0.0.1:5432, user postgres)
#   SCHEDULES=50 RUN_S=20 scripts/schedule-kill-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEDULES=${SCHEDULES:-20}
RUN_S=${RUN_S:-12}          # seconds of firing before the kill, and again after it
DB=${DB:-jobserver_schedules}
PORT_A=${PORT_A:-8283}
PORT_B=${PORT_B:-8284}
MAX_LATE_MS=${MAX_LATE_MS:-5000}
work=target/schedule-kill
. scripts/lib/instances.sh
prepare_instances schedule-test manage_jobs 2

export JOBSERVER_LEASE_MS=3000 JOBSERVER_RECOVERY_MS=500
start_instance a "$PORT_A"; PID_A=$INSTANCE_PID
wait_ready "$PORT_A" /api/jobserver/v1/schedules # the first instance creates the schema; then the second starts
start_instance b "$PORT_B"; PID_B=$INSTANCE_PID
wait_ready "$PORT_B" /api/jobserver/v1/schedules
echo "two instances up: node-a on $PORT_A (pid $PID_A), node-b on $PORT_B (pid $PID_B)"

for i in $(seq 1 "$SCHEDULES"); do
  port=$([ $((i % 2)) = 0 ] && echo "$PORT_A" || echo "$PORT_B")
  code=$(curl -s -o "$work/create.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    -d "{\"name\":\"every-second-$i\",\"type\":\"noop\",\"cron\":\"* * * * * *\",\"overlap\":\"allow\"}" \
    "localhost:$port/api/jobserver/v1/schedules")
  [ "$code" = 201 ] || { cat "$work/create.json"; echo "creating a schedule failed ($code)" >&2; exit 1; }
done
echo "$SCHEDULES schedules firing every second"
sleep "$RUN_S"

# kill node-a inside a firing transaction if it can be caught there: its session is then holding
# due schedules (FOR UPDATE SKIP LOCKED) that node-b must not fire twice nor lose
firing_sql="SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'node-a'
  AND (state = 'idle in transaction' OR (state = 'active' AND query LIKE '%job_schedule%'))"
caught=0
for _ in $(seq 1 400); do
  kill -STOP "$PID_A"
  if [ "$(sql "$firing_sql")" -gt 0 ]; then caught=1; break; fi
  kill -CONT "$PID_A"
  sleep 0.01
done
kill -9 "$PID_A"
killed_at=$(sql "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint")
while kill -0 "$PID_A" 2>/dev/null; do sleep 0.05; done
echo "killed node-a (SIGKILL) at $killed_at; $([ "$caught" = 1 ] && echo 'inside a firing transaction' || echo 'between firing transactions')"
sleep "$RUN_S"

# stop firing (pause through node-b), then let the last transaction end
for id in $(sql "SELECT id FROM job_schedule"); do
  curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "localhost:$PORT_B/api/jobserver/v1/schedules/$id/pause"
done
sleep 1

jobs=$(sql "SELECT COUNT(*) FROM job WHERE schedule_id IS NOT NULL")
distinct=$(sql "SELECT COUNT(*) FROM (SELECT DISTINCT schedule_id, due_at FROM job WHERE schedule_id IS NOT NULL) d")
# per schedule: the seconds from its first due time to its last, and the jobs in between
expected=$(sql "SELECT COALESCE(SUM((mx - mn) / 1000 + 1), 0) FROM (SELECT MIN(due_at) mn, MAX(due_at) mx FROM job WHERE schedule_id IS NOT NULL GROUP BY schedule_id) s")
off_grid=$(sql "SELECT COUNT(*) FROM job WHERE schedule_id IS NOT NULL AND due_at % 1000 <> 0")
by_a=$(sql "SELECT COUNT(*) FROM job_event WHERE old_status IS NULL AND message LIKE '% by engine:node-a-%'")
by_b=$(sql "SELECT COUNT(*) FROM job_event WHERE old_status IS NULL AND message LIKE '% by engine:node-b-%'")
by_b_after=$(sql "SELECT COUNT(*) FROM job j JOIN job_event e ON e.job_id = j.id AND e.old_status IS NULL
  WHERE j.due_at > $killed_at AND e.message LIKE '% by engine:node-b-%'")
dues_after=$(sql "SELECT COUNT(*) FROM job WHERE schedule_id IS NOT NULL AND due_at > $killed_at")
late=$(sql "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY create_at - due_at) || ' / ' ||
  percentile_disc(0.99) WITHIN GROUP (ORDER BY create_at - due_at) || ' / ' || MAX(create_at - due_at)
  FROM job WHERE schedule_id IS NOT NULL")
late_kill=$(sql "SELECT COALESCE(MAX(create_at - due_at), 0) FROM job
  WHERE schedule_id IS NOT NULL AND due_at BETWEEN $killed_at - 2000 AND $killed_at + 5000")
missed=$(sql "SELECT COALESCE(SUM(missed), 0) FROM job_schedule")

echo "schedules:                                  $SCHEDULES"
echo "jobs created by the schedules:              $jobs"
echo "distinct (schedule, due time):              $distinct"
echo "due times first..last, summed per schedule: $expected"
echo "jobs off the whole-second grid:             $off_grid"
echo "fired by node-a: $by_a; by node-b: $by_b (for due times after the kill: $by_b_after of $dues_after)"
echo "created - due (ms), p50 / p99 / max:        $late"
echo "latest firing of a due time around the kill: $late_kill ms late"
echo "due times counted as missed:                $missed"

fail=0
[ "$jobs" = "$distinct" ] || { echo "FAIL: some due time has two jobs"; fail=1; }
[ "$jobs" = "$expected" ] || { echo "FAIL: $jobs jobs for $expected due times: some were skipped"; fail=1; }
[ "$off_grid" = 0 ] || { echo "FAIL: $off_grid jobs for a due time that is no whole second"; fail=1; }
[ "$missed" = 0 ] || { echo "FAIL: $missed due times missed while an instance was up"; fail=1; }
[ "$by_a" -gt 0 ] && [ "$by_b" -gt 0 ] || { echo "FAIL: both instances should have fired"; fail=1; }
[ "$dues_after" -gt 0 ] && [ "$by_b_after" = "$dues_after" ] || { echo "FAIL: firing did not go on on node-b"; fail=1; }
[ "$late_kill" -le "$MAX_LATE_MS" ] || { echo "FAIL: a due time around the kill fired $late_kill ms late"; fail=1; }

kill -TERM "$PID_B" 2>/dev/null || true
for _ in $(seq 1 60); do kill -0 "$PID_B" 2>/dev/null || break; sleep 0.5; done
if [ "$fail" = 0 ]; then echo "schedule kill test: PASSED"; else echo "schedule kill test: FAILED"; exit 1; fi
