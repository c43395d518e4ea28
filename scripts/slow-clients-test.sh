#!/usr/bin/env bash
# Slow and greedy clients against one instance on PostgreSQL with a 384 MB heap (-Xmx384m):
#  (a) 60 clients ask for multi-megabyte lists (half the v1 list, half a v4 page of 200 jobs of
#      1 MB) and 20 more for a 32 MiB download, and stop reading: more than the pool's 48
#      connections, so a reader that held one would starve the rest. Meanwhile creates, reads and
#      small lists must answer as before (each under LIMIT_MS, 1 s), and no connection may sit in
#      an open transaction.
#  (b) 12 clients read GET /api/v4/jobs?per_page=200 of 1 MB jobs at once, ROUNDS times: every
#      answer must be 200 and a whole array of 200 jobs, and the server must not run out of heap.
# Prints the figures, then PASSED or FAILED; exits non-zero on failure.
#
#   scripts/slow-clients-test.sh            (needs PostgreSQL on 127.0.0.1:5432, user postgres)
#   DB=mine PORT=8300 scripts/slow-clients-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DB=${DB:-jobserver_slow}
PORT=${PORT:-8291}
JOBS=${JOBS:-240}            # jobs of DATA_CHARS characters of data each
DATA_CHARS=${DATA_CHARS:-1000000}
STALLED=${STALLED:-60}       # list readers that stop reading, half on each list
DOWNLOADS=${DOWNLOADS:-20}   # download readers that stop reading
LIMIT_MS=${LIMIT_MS:-1000}   # what a create or a read may take while they stall
ROUNDS=${ROUNDS:-3}
work=target/slow-clients
BASE="http://localhost:$PORT"
. scripts/lib/instances.sh

prepare_instances slow-test manage_jobs,TAIPY_READER 2
JOBSERVER_INSTANCE_ID=slow HEAP=384m start_instance slow "$PORT"
server=$INSTANCE_PID
wait_ready "$PORT"
echo "server up on port $PORT (pid $server, -Xmx384m)"

# the data set, written as the server would have: finished jobs (type sleep; the probes create
# noop jobs) of 1 MB of data with ten stack traces of 15,000 characters (the v1 list shows traces,
# not data), and one 32 MiB result
now=$(($(date +%s) * 1000))
sql "INSERT INTO job (id, type, priority, create_at, status, data, stacktrace, attempt, max_attempts)
     SELECT 'slow' || lpad(i::text, 22, '0'), 'sleep', 0, $now - 100000 + i, 'COMPLETED',
            '{\"blob\":\"' || repeat('x', $DATA_CHARS) || '\"}',
            '[' || (SELECT string_agg('\"' || repeat('t', 15000) || '\"', ',') FROM generate_series(1, 10)) || ']',
            1, 1
     FROM generate_series(1, $JOBS) i"
download_id=slow$(printf '%022d' 0)
sql "INSERT INTO job (id, type, priority, create_at, status, data, attempt, max_attempts)
     VALUES ('$download_id', 'job_export', 0, $now - 200000, 'COMPLETED', '{}', 1, 1)"
sql "INSERT INTO job_result (job_id, attempt, file_name, content_type, size, created_at)
     VALUES ('$download_id', 1, 'big.csv', 'text/csv', $((128 * 262144)), $now)"
sql "INSERT INTO job_result_chunk (job_id, seq, content)
     SELECT '$download_id', s, convert_to(repeat('z', 262144), 'UTF8') FROM generate_series(0, 127) s"
sql "ANALYZE job"
echo "loaded $JOBS jobs of $DATA_CHARS characters of data and ten stack traces each ($(sql "SELECT pg_size_pretty(pg_database_size('$DB'))") in the database), and a 32 MiB result"

fail=0
# one call, its status and time: "<code> <ms>"
call() { # method path [body]
  if [ "$1" = POST ]; then
    curl -s -o "$work/last.json" --max-time 10 -w '%{http_code} %{time_total}\n' -X POST \
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$3" "$BASE$2" || echo "000 10"
  else
    curl -s -o "$work/last.json" --max-time 10 -w '%{http_code} %{time_total}\n' \
      -H "Authorization: Bearer $TOKEN" "$BASE$2" || echo "000 10"
  fi | awk '{ printf "%s %d\n", $1, $2 * 1000 }'
}
# creates, reads of the created job and small lists, 10 of each (fewer once 3 calls failed):
# prints the slowest of each kind
probe() { # label
  local worst_create=0 worst_get=0 worst_list=0 bad=0
  for _ in $(seq 1 10); do
    read -r code ms < <(call POST /api/v4/jobs '{"type":"noop"}')
    [ "$code" = 201 ] || bad=$((bad + 1)); [ "$ms" -gt "$worst_create" ] && worst_create=$ms
    id=$(sed -n 's/.*"id":"\([a-z0-9]*\)".*/\1/p' "$work/last.json")
    read -r code ms < <(call GET "/api/v4/jobs/${id:-none}")
    [ "$code" = 200 ] || bad=$((bad + 1)); [ "$ms" -gt "$worst_get" ] && worst_get=$ms
    read -r code ms < <(call GET "/api/v4/jobs?per_page=5&status=success")
    [ "$code" = 200 ] || bad=$((bad + 1)); [ "$ms" -gt "$worst_list" ] && worst_list=$ms
    [ "$bad" -lt 3 ] || break
  done
  echo "$1: slowest create ${worst_create} ms, get ${worst_get} ms, small list ${worst_list} ms; failed calls: $bad"
  if [ "$bad" != 0 ] || [ "$worst_create" -gt "$LIMIT_MS" ] || [ "$worst_get" -gt "$LIMIT_MS" ] || [ "$worst_list" -gt "$LIMIT_MS" ]; then
    return 1
  fi
}

echo "--- (a) $((STALLED + DOWNLOADS)) clients that stop reading ($STALLED lists, $DOWNLOADS downloads)"
probe "before (warm-up)" >/dev/null || true
probe "before" || { echo "FAIL: calls were slow or failed before any client stalled"; fail=1; }
half=$((STALLED / 2))
java scripts/slow-clients/SlowClients.java stall localhost "$PORT" "$TOKEN" 600 \
  "$half:/api/v1/jobs" "$((STALLED - half)):/api/v4/jobs?per_page=200&job_type=sleep" \
  "$DOWNLOADS:/api/v4/jobs/$download_id/download" > "$work/stall.txt" 2>&1 &
staller=$!
instance_pids+=("$staller")
for _ in $(seq 1 60); do grep -q '^stalled' "$work/stall.txt" && break; sleep 0.5; done
cat "$work/stall.txt"
grep -qx "stalled $((STALLED + DOWNLOADS)) clients" "$work/stall.txt" \
  || { echo "FAIL: the clients did not all stall: the test did not test it"; fail=1; }
# every answer has begun and waits on its client: the server's last page reads are done (a page
# being read shows as idle in a transaction between fetches), up to 30 s
sleep 5
for _ in $(seq 1 50); do
  in_tx=$(sql "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '$DB' AND state LIKE 'idle in transaction%'")
  [ "$in_tx" = 0 ] && break
  sleep 0.5
done
sleep 1
conns=$(sql "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '$DB' AND application_name = 'node-slow'")
echo "while they stall: $conns connections of the server's pool open, $in_tx idle in a transaction"
probe "while they stall" || { echo "FAIL: creates or reads were slow or failed while clients stalled"; fail=1; }
in_tx=$(sql "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '$DB' AND state LIKE 'idle in transaction%'")
[ "$in_tx" = 0 ] || { echo "FAIL: $in_tx connections held in a transaction while clients stall"; fail=1; }
kill "$staller" 2>/dev/null || true
wait "$staller" 2>/dev/null || true
kill -0 "$server" 2>/dev/null || { echo "FAIL: the server died"; fail=1; }

echo "--- (b) 12 clients read GET /api/v4/jobs?per_page=200 at once, $ROUNDS rounds"
if kill -0 "$server" 2>/dev/null; then
  java -Xmx128m scripts/slow-clients/SlowClients.java read "$BASE" "$TOKEN" \
    "/api/v4/jobs?per_page=200&job_type=sleep&status=success" 12 "$ROUNDS" 200 || {
    echo "FAIL: not every list answered whole"
    fail=1
  }
  probe "after" || { echo "FAIL: calls were slow or failed after the big lists"; fail=1; }
fi

oom=$(grep -c 'OutOfMemoryError' "$work/slow/server.log" || true)
echo "OutOfMemoryError in the server's log: $oom"
[ "$oom" = 0 ] || { grep -m 3 'OutOfMemoryError' "$work/slow/server.log"; echo "FAIL: the server ran out of heap"; fail=1; }

kill -TERM "$server" 2>/dev/null || true
for _ in $(seq 1 60); do kill -0 "$server" 2>/dev/null || break; sleep 0.5; done
if [ "$fail" = 0 ]; then echo "slow clients test: PASSED"; else echo "slow clients test: FAILED (see $work/slow/server.log)"; exit 1; fi
