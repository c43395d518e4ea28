#!/usr/bin/env bash
# A dependency storm on a database that stays up (issue 25): two instances on one PostgreSQL
# database, JOBSERVER_WORKERS=16 each; PARENTS `noop` jobs due at the same moment (native API,
# run_at), and while they run, CHILDREN `noop` jobs created with `depends_on` DEPS random parents
# each (native API, IN_FLIGHT creates at a time, spread over both instances; the client is
# scripts/dependency-storm/storm.py). Meanwhile pg_stat_activity and the lock waits are sampled
# every half second ($work/activity.txt) and the database logs its lock waits (log_lock_waits).
# Checks:
#   - every create answers 201 (none 503, none anything else);
#   - the instances' logs hold no closed connection ("This connection has been closed") and no
#     failed pool connection ("Database connection failed", Payara's RAR5xxx);
#   - every job completes (COMPLETED) within DRAIN_S seconds of the parents' due time.
# Prints the create p50/p99 (plain and with depends_on), the 503 count, the deadlocks (PostgreSQL's
# pg_stat_database.deadlocks for the database, and "deadlock detected" in the instances' logs), the
# longest lock wait seen and the time to drain. Stops by itself: the client within CLIENT_S, the
# drain within DRAIN_S. Exits non-zero if a check fails.
#
#   scripts/dependency-storm-test.sh         (needs PostgreSQL on 127.0.0.1:5432, user postgres)
#   PARENTS=500 CHILDREN=500 scripts/dependency-storm-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export PARENTS=${PARENTS:-1500} CHILDREN=${CHILDREN:-1500} DEPS=${DEPS:-12} IN_FLIGHT=${IN_FLIGHT:-50}
# the parents are created with run_at LEAD_S seconds after the client starts: long enough to create
# them all first (about 40 s for 1,500 on a busy 2-core machine)
export LEAD_S=${LEAD_S:-60}
CLIENT_S=${CLIENT_S:-400}
DRAIN_S=${DRAIN_S:-300}
DB=${DB:-jobserver_storm}
PORT_A=${PORT_A:-8287}
PORT_B=${PORT_B:-8288}
PG_LOG=${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
work=target/dependency-storm
. scripts/lib/instances.sh
prepare_instances storm-test manage_jobs 2

# lock waits past deadlock_timeout (1 s) go to PostgreSQL's log, for this database's sessions only
sql "ALTER DATABASE $DB SET log_lock_waits = on"
pg_log_from=$( [ -r "$PG_LOG" ] && stat -c %s "$PG_LOG" || echo -1)

export JOBSERVER_WORKERS=16
start_instance a "$PORT_A"; PID_A=$INSTANCE_PID
wait_ready "$PORT_A" # the first instance creates the schema; then the second starts
start_instance b "$PORT_B"; PID_B=$INSTANCE_PID
wait_ready "$PORT_B"
echo "two instances up: node-a on $PORT_A (pid $PID_A), node-b on $PORT_B (pid $PID_B), 16 workers each"

# every half second: this database's sessions that are not idle, what they wait for, who blocks them
(
  while [ ! -f "$work/stop-sampler" ]; do
    psql -d "$DB" -tAq -F $'\t' -c "SELECT to_char(clock_timestamp(), 'HH24:MI:SS.MS'), application_name, pid,
        pg_blocking_pids(pid), state, wait_event_type, wait_event,
        round(extract(epoch FROM clock_timestamp() - query_start) * 1000),
        round(extract(epoch FROM clock_timestamp() - xact_start) * 1000),
        left(regexp_replace(query, '\s+', ' ', 'g'), 300)
      FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND state <> 'idle'" >> "$work/activity.txt" 2>/dev/null || true
    sleep 0.5
  done
) &
sampler=$!
instance_pids+=("$sampler")

started=$(date +%s%3N)
set +e
timeout "$CLIENT_S" python3 scripts/dependency-storm/storm.py \
  "http://localhost:$PORT_A,http://localhost:$PORT_B" "$TOKEN" "$work" | tee "$work/client.txt"
client_rc=${PIPESTATUS[0]}
set -e
fail=0
[ "$client_rc" = 0 ] || { echo "FAIL: the load client ended with $client_rc (124: it ran past CLIENT_S=$CLIENT_S s)"; fail=1; }
due_ms=$(awk '$1 == "due_ms" {print $2}' "$work/client.txt")
due_ms=${due_ms:-$started}

finished="('COMPLETED','WARNING','FAILED','CANCELED','SKIPPED','ABANDONED')"
drained=""
while [ $(( $(date +%s%3N) - due_ms )) -lt $((DRAIN_S * 1000)) ]; do
  open=$(sql "SELECT COUNT(*) FROM job WHERE status NOT IN $finished")
  if [ "$open" = 0 ]; then drained=1; break; fi
  sleep 0.5
done
touch "$work/stop-sampler"
wait "$sampler" 2>/dev/null || true

total=$(sql "SELECT COUNT(*) FROM job")
completed=$(sql "SELECT COUNT(*) FROM job WHERE status = 'COMPLETED'")
by_status=$(sql "SELECT string_agg(status || ':' || n, ' ') FROM (SELECT status, COUNT(*) n FROM job GROUP BY status ORDER BY status) s")
last_ms=$(sql "SELECT COALESCE(MAX(last_activity_at), 0) FROM job")
deadlocks_pg=$(sql "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
logs=("$work"/a/server.log "$work"/b/server.log)
count() { cat "${logs[@]}" | grep -Ec "$1" || true; }
deadlocks_log=$(count 'deadlock detected')
closed=$(count 'This connection has been closed')
pool_failed=$(count 'Database connection failed|RAR5[0-9]{3}')
socket_timeouts=$(count 'SocketTimeoutException|Read timed out')
lock_timeouts=$(count 'canceling statement due to lock timeout')
statement_timeouts=$(count 'canceling statement due to statement timeout')
# a job stored whose create was not answered 201 (an in-doubt commit: the request failed after it)
sql "CREATE TABLE answered_201 (id text)"
awk -F'\t' '$3 == 201 && $5 != "" {print $5}' "$work/creates.tsv" > "$work/ids-201.txt"
psql -d "$DB" -q -c "\\copy answered_201 FROM '$work/ids-201.txt'"
unanswered=$(sql "SELECT COUNT(*) FROM job j WHERE NOT EXISTS (SELECT 1 FROM answered_201 a WHERE a.id = j.id)")
answered_503=$(awk '$1 == "answered_503" {print $2}' "$work/client.txt")
answered_201=$(awk '$1 == "answered_201" {print $2}' "$work/client.txt")
answered_other=$(awk '$1 == "answered_other" {print $2}' "$work/client.txt")
longest_wait=$(awk -F'\t' '$6 == "Lock" && $8 + 0 > m {m = $8 + 0; q = $10} END {print (m + 0) " ms: " q}' "$work/activity.txt" 2>/dev/null || echo "0 ms")
waits_over_3s=$(awk -F'\t' '$6 == "Lock" && $8 + 0 > 3000' "$work/activity.txt" 2>/dev/null | wc -l)
if [ "$pg_log_from" -ge 0 ]; then
  tail -c +"$((pg_log_from + 1))" "$PG_LOG" > "$work/postgresql.log" || true
  deadlocks_pg_log=$(grep -c 'ERROR:  deadlock detected' "$work/postgresql.log" || true)
  lock_waits_logged=$(grep -c 'still waiting for' "$work/postgresql.log" || true)
else
  deadlocks_pg_log="(log not readable)"; lock_waits_logged="(log not readable)"
fi

echo
echo "creates:                      $answered_201 answered 201, $answered_503 answered 503, $answered_other other (of $((PARENTS + CHILDREN)))"
grep -E '^create_ms_' "$work/client.txt" | sed 's/^/                              /'
echo "jobs in the database:         $total, completed $completed ($by_status); stored though not answered 201: $unanswered"
if [ -n "$drained" ]; then
  echo "time to drain:                $(( (last_ms - due_ms) )) ms from the parents' due time to the last job's end"
else
  echo "time to drain:                more than $DRAIN_S s (not drained)"
fi
echo "deadlocks:                    $deadlocks_pg (pg_stat_database); 'deadlock detected' lines in the instances' logs: $deadlocks_log, in PostgreSQL's log: $deadlocks_pg_log"
echo "lock waits:                   longest seen $longest_wait"
echo "                              samples of a lock wait past 3 s: $waits_over_3s; waits past deadlock_timeout logged by PostgreSQL: $lock_waits_logged"
echo "canceled statements (logs):   lock timeout $lock_timeouts, statement timeout $statement_timeouts"
echo "closed connections (logs):    $closed; failed pool connections: $pool_failed; socket timeouts: $socket_timeouts"

[ "${answered_201:-0}" = "$((PARENTS + CHILDREN))" ] || { echo "FAIL: $((PARENTS + CHILDREN - ${answered_201:-0})) creates did not answer 201 ($answered_503 answered 503)"; fail=1; }
[ "$closed" = 0 ] || { echo "FAIL: $closed log lines of a closed connection"; fail=1; }
[ "$pool_failed" = 0 ] || { echo "FAIL: $pool_failed log lines of a failed pool connection"; fail=1; }
[ -n "$drained" ] || { echo "FAIL: jobs still open $DRAIN_S s after the parents were due"; fail=1; }
[ "$completed" = "$total" ] || { echo "FAIL: $((total - completed)) of $total jobs did not complete ($by_status)"; fail=1; }

for p in $PID_A $PID_B; do kill -TERM "$p" 2>/dev/null || true; done
for _ in $(seq 1 60); do kill -0 "$PID_A" 2>/dev/null || kill -0 "$PID_B" 2>/dev/null || break; sleep 0.5; done
if [ "$fail" = 0 ]; then echo "dependency storm test: PASSED"; else echo "dependency storm test: FAILED (see $work)"; exit 1; fi
