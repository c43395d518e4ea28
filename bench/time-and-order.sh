#!/usr/bin/env bash
# Time and order on PostgreSQL, two instances on one database, one line per figure ("name value unit"):
#   schedules  SCHEDULES (1,000) schedules with the cron "* * * * * *" (all due on the same whole
#              seconds, the hardest case) fired by both instances for SCHEDULE_SECONDS (30) after a
#              10 s warm-up -> jobs, missing and duplicate due times, p50/p99/max of created - due
#   fanin      one job depending on FANIN (1,000) noop jobs that become due together -> ms from the
#              last of them finishing to the dependent's unblocking (its BLOCKED -> PENDING event)
#              and to its start
#   chain      CHAIN (100) noop jobs created through the API, each depending on the one before ->
#              ms end to end and per link
# The schedules and the fan-in's edges are written with SQL (the API takes at most 100 dependencies
# per job; 1,000 schedules through the API would only slow the set-up).
#
#   bench/time-and-order.sh            (PostgreSQL on 127.0.0.1:5432, user postgres; builds if needed)
#   PARTS="fanin chain" SCHEDULES=200 bench/time-and-order.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEDULES=${SCHEDULES:-1000}
SCHEDULE_SECONDS=${SCHEDULE_SECONDS:-30}
FANIN=${FANIN:-1000}
CHAIN=${CHAIN:-100}
DB=${DB:-jobserver_bench_time}
PORT=${PORT:-8391}
PARTS=${PARTS:-schedules fanin chain}
part() { [[ " $PARTS " == *" $1 "* ]]; }
work=target/bench-time
. scripts/lib/instances.sh
now_ms() { sql "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint"; }
prepare_instances bench manage_jobs 4
start_instance a "$PORT"
wait_ready "$PORT"
start_instance b "$((PORT + 1))"
wait_ready "$((PORT + 1))"
finished="('COMPLETED','WARNING','FAILED','CANCELED','SKIPPED','ABANDONED')"
echo "machine $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(psql -d postgres -tAc 'SHOW server_version' | cut -d' ' -f1) PostgreSQL, two instances"

# ---- schedules ------------------------------------------------------------------------------------
if part schedules; then
start_at=$(( ($(now_ms) / 1000 + 3) * 1000 ))
sql "INSERT INTO job_schedule (id, name, type, data, cron, time_zone, paused, overlap, misfire, next_run_at,
       created_by, created_at, updated_at)
     SELECT lpad(to_hex(g), 26, '0'), 'bench-' || g, 'noop', '{}', '* * * * * *', 'UTC', FALSE, 'ALLOW', 'SKIP',
       $start_at, 'bench', $start_at, $start_at FROM generate_series(1, $SCHEDULES) g"
from=$((start_at + 10000))
to=$((from + SCHEDULE_SECONDS * 1000))
sleep $(( (to - $(now_ms)) / 1000 + 3 ))
sql "UPDATE job_schedule SET paused = TRUE"
sleep 1
in_window="schedule_id IS NOT NULL AND due_at >= $from AND due_at < $to"
jobs=$(sql "SELECT COUNT(*) FROM job WHERE $in_window")
distinct=$(sql "SELECT COUNT(*) FROM (SELECT DISTINCT schedule_id, due_at FROM job WHERE $in_window) d")
expected=$((SCHEDULES * SCHEDULE_SECONDS))
echo "schedules $SCHEDULES every second for $SCHEDULE_SECONDS s"
echo "schedule_jobs $jobs jobs (of $expected due times)"
echo "schedule_missing $((expected - distinct)) due times"
echo "schedule_duplicates $((jobs - distinct)) jobs"
echo "schedule_late_p50 $(sql "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY create_at - due_at) FROM job WHERE $in_window") ms"
echo "schedule_late_p99 $(sql "SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY create_at - due_at) FROM job WHERE $in_window") ms"
echo "schedule_late_max $(sql "SELECT MAX(create_at - due_at) FROM job WHERE $in_window") ms"
# create_at is the firing round's time; the jobs are visible at its commit, at latest when they start
echo "schedule_start_p50 $(sql "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY start_at - due_at) FROM job WHERE $in_window AND start_at > 0") ms"
echo "schedule_start_p99 $(sql "SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY start_at - due_at) FROM job WHERE $in_window AND start_at > 0") ms"
echo "schedule_fired_by_a $(sql "SELECT COUNT(*) FROM job_event e JOIN job j ON j.id = e.job_id WHERE $in_window AND e.old_status IS NULL AND e.message LIKE '% by engine:node-a-%'") jobs"
for _ in $(seq 1 240); do
  [ "$(sql "SELECT COUNT(*) FROM job WHERE status NOT IN $finished")" = 0 ] && break
  sleep 0.5
done
sql "DELETE FROM job_schedule"
sql "TRUNCATE job CASCADE" 2>/dev/null
fi

# ---- fan-in ---------------------------------------------------------------------------------------
if part fanin; then
due=$(( $(now_ms) + 3000 ))
sql "BEGIN;
     INSERT INTO job (id, type, priority, create_at, status, data, run_after, has_dependents)
       SELECT 'fanin' || lpad(g::text, 5, '0'), 'noop', 0, $due - 3000, 'PENDING', '{}', $due, TRUE
       FROM generate_series(1, $FANIN) g;
     INSERT INTO job (id, type, priority, create_at, status, data, deps_waiting)
       VALUES ('fanin-join', 'noop', 0, $due - 3000, 'BLOCKED', '{}', $FANIN);
     INSERT INTO job_dependency (depends_on, job_id) SELECT 'fanin' || lpad(g::text, 5, '0'), 'fanin-join'
       FROM generate_series(1, $FANIN) g;
     COMMIT;"
for _ in $(seq 1 240); do
  [ "$(sql "SELECT status FROM job WHERE id = 'fanin-join'")" = COMPLETED ] && break
  sleep 0.25
done
last=$(sql "SELECT MAX(e.at) FROM job_event e WHERE e.job_id LIKE 'fanin0%' AND e.old_status = 'RUNNING'")
unblocked=$(sql "SELECT at FROM job_event WHERE job_id = 'fanin-join' AND new_status = 'PENDING'")
started=$(sql "SELECT start_at FROM job WHERE id = 'fanin-join'")
echo "fanin $FANIN dependencies, $(sql "SELECT COUNT(*) FROM job WHERE id LIKE 'fanin0%' AND status = 'COMPLETED'") completed; dependent $(sql "SELECT status FROM job WHERE id = 'fanin-join'")"
echo "fanin_unblock $((unblocked - last)) ms (last dependency's end to the dependent's BLOCKED -> PENDING)"
echo "fanin_start $((started - last)) ms (last dependency's end to the dependent's start)"
echo "fanin_span $(( last - due )) ms (the dependencies' due time to the last one's end)"
sql "TRUNCATE job CASCADE" 2>/dev/null
fi

# ---- chain ----------------------------------------------------------------------------------------
if part chain; then
create() { curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$1" \
  "localhost:$PORT/api/v4/jobs" | sed -E 's/.*"id":"([a-z0-9]+)".*/\1/'; }
first=$(create "{\"type\":\"noop\",\"run_at\":$(( $(now_ms) + 5000 ))}")
prev=$first
for _ in $(seq 2 "$CHAIN"); do
  prev=$(create "{\"type\":\"noop\",\"depends_on\":[\"$prev\"]}")
done
for _ in $(seq 1 240); do
  [ "$(sql "SELECT status FROM job WHERE id = '$prev'")" = COMPLETED ] && break
  sleep 0.25
done
span=$(sql "SELECT l.last_activity_at - f.start_at FROM job f, job l WHERE f.id = '$first' AND l.id = '$prev'")
echo "chain $CHAIN jobs, $(sql "SELECT COUNT(*) FROM job WHERE status = 'COMPLETED'") completed"
echo "chain_span $span ms (first start to last end)"
echo "chain_link $(( span / (CHAIN - 1) )) ms per link"
echo "chain_link_p50 $(sql "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY j.start_at - d.last_activity_at)
  FROM job j JOIN job_dependency e ON e.job_id = j.id JOIN job d ON d.id = e.depends_on") ms (a job's end to its dependent's start)"
fi
