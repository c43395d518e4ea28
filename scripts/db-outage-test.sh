#!/usr/bin/env bash
# One instance on PostgreSQL through a TCP proxy (the in-server tests' DbProxy.java, run as a
# program); jobs are created (sleep jobs of a few seconds and noop jobs) and, while some run and
# creates go on, the proxy cuts the database off for CUT_S seconds (every connection closed, new
# ones refused; the lease is 5 s, so the cut outlasts it). Then:
#   - during the cut, v4 get/list/create, v1 list and native get answer 503 with Retry-After, in
#     their API's error format, each within 5 s;
#   - after it, the instance answers normally again within RECOVER_S seconds, by itself;
#   - every job created before the cut (and every create answered 201) ends COMPLETED, and none
#     ran twice (job_event: one claim each, no lease recovery); no create answered 503 is stored;
#   - the server log has at most 100 WARNING records (no flood).
# Prints what it saw; exits non-zero if a check fails.
#
#   scripts/db-outage-test.sh            (needs PostgreSQL on 127.0.0.1:5432, user postgres)
#   CUT_S=30 scripts/db-outage-test.sh
#   CUT_MODE=frozen scripts/db-outage-test.sh   (a partition: connections kept, no byte passes)
set -euo pipefail
cd "$(dirname "$0")/.."

CUT_S=${CUT_S:-15}
RECOVER_S=${RECOVER_S:-10}
SLEEP_JOBS=${SLEEP_JOBS:-24}
NOOP_JOBS=${NOOP_JOBS:-300}
DB=${DB:-jobserver_outage}
PORT=${PORT:-8285}
PROXY_PORT=${PROXY_PORT:-8286}
work=target/db-outage
now_ms() { date +%s%3N; }
base="http://localhost:$PORT"
. scripts/lib/instances.sh

prepare_instances outage-test manage_jobs,TAIPY_ADMIN 2
echo open > "$work/proxy.mode"
java src/test/java/dev/jobserver/it/DbProxy.java "$PROXY_PORT" "$PGHOST" "$PGPORT" "$work/proxy.mode" > "$work/proxy.log" 2>&1 &
instance_pids+=($!)
JOBSERVER_INSTANCE_ID=outage JOBSERVER_WORKERS=8 JOBSERVER_LEASE_MS=5000 JOBSERVER_RECOVERY_MS=500 \
  start_instance outage "$PORT" "jdbc:postgresql://127.0.0.1:$PROXY_PORT/$DB"
server=$INSTANCE_PID
wait_ready "$PORT"
echo "instance up on port $PORT, database through the proxy on $PROXY_PORT"

post() { # path body -> "code id"
  curl -s -m 10 -o "$work/post.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$2" "$base$1" || true
}

# jobs before the cut: noop jobs, then sleep jobs of 3 to 8 s (8 workers: some run through the
# cut, some wait). The sleep jobs come last: Bench.java is compiled at launch, which took longer
# than the sleep jobs ran on a loaded machine, and the cut then found none running
java bench/Bench.java create "$base" "$TOKEN" "$NOOP_JOBS" 8 noop '{}' > "$work/create.txt" 2>&1
for i in $(seq 1 "$SLEEP_JOBS"); do
  code=$(post /api/v4/jobs "{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"$((3000 + (i % 6) * 1000))\"}}")
  [ "$code" = 201 ] || { echo "creating a sleep job answered $code" >&2; exit 1; }
done

# load that goes on through the cut: one create every 50 ms, each answer recorded
(
  while [ ! -f "$work/stop-load" ]; do
    t0=$(now_ms)
    code=$(curl -s -m 10 -o "$work/load-body.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: application/json' -d '{"type":"noop","data":{}}' "$base/api/v4/jobs" || true)
    id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$work/load-body.json" 2>/dev/null | head -1)
    echo "$t0 $(($(now_ms) - t0)) $code ${id:-}" >> "$work/load.txt"
    sleep 0.05
  done
) &
load=$!
instance_pids+=("$load")

# cut once sleep jobs are running
for _ in $(seq 1 300); do
  running=$(psql -d "$DB" -tAq -c "SELECT COUNT(*) FROM job WHERE type = 'sleep' AND status = 'RUNNING'")
  [ "$running" -ge 4 ] && break
  sleep 0.1
done
cut_at=$(now_ms)
sql "CREATE TABLE before_cut AS SELECT id FROM job"
before_cut=$(sql "SELECT COUNT(*) FROM before_cut")
echo "${CUT_MODE:-down}" > "$work/proxy.mode"
echo "cut the database off with $running sleep jobs running and $before_cut jobs created"

fail=0
some_id=$(sql "SELECT id FROM job WHERE type = 'sleep' LIMIT 1")
# one request of each kind: 503, Retry-After, the API's error format, within 5 s
check() { # name method path body-pattern [data]
  local name=$1 method=$2 path=$3 pattern=$4 data=${5:-}
  rm -f "$work/h.txt" "$work/b.json"
  local args=(-s -m 10 -D "$work/h.txt" -o "$work/b.json" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $TOKEN")
  [ "$method" = POST ] && args+=(-H 'Content-Type: application/json' -d "$data")
  local out code took
  out=$(curl "${args[@]}" "$base$path" || true)
  code=${out%% *}; took=${out##* }
  local retry; retry=$(grep -i '^Retry-After:' "$work/h.txt" | tr -d '\r' | awk '{print $2}' || true)
  local body; body=$(cat "$work/b.json" 2>/dev/null || true)
  printf '  %-14s %s in %s s, Retry-After %s, %s\n' "$name" "$code" "$took" "${retry:--}" "$body"
  if [ "$code" != 503 ] || [ -z "$retry" ] || ! echo "$body" | grep -Eq "$pattern" \
    || ! awk -v t="$took" 'BEGIN {exit !(t < 5)}'; then
    echo "FAIL: $name during the cut: $code in $took s, Retry-After '${retry}', body $body"
    fail=1
  fi
}
v4='"id":"api\.context\.database_unavailable\.app_error".*"status_code":503'
v1='^\{"message":"[^"]+"\}$'
native='^\{"message":"[^"]+","request_id":"[^"]+"\}$'
for round in 1 2 3; do
  sleep $((round == 1 ? 1 : CUT_S / 3))
  echo "during the cut, after $(( ($(now_ms) - cut_at) / 1000 )) s:"
  check "v4 get" GET "/api/v4/jobs/$some_id" "$v4"
  check "v4 list" GET "/api/v4/jobs?per_page=10" "$v4"
  check "v4 create" POST "/api/v4/jobs" "$v4" '{"type":"noop","data":{}}'
  check "v1 list" GET "/api/v1/jobs" "$v1"
  check "native get" GET "/api/jobserver/v1/jobs/$some_id" "$native"
done
while [ $(( $(now_ms) - cut_at )) -lt $((CUT_S * 1000)) ]; do sleep 0.2; done

echo open > "$work/proxy.mode"
restored_at=$(now_ms)
recovered=""
while [ $(( $(now_ms) - restored_at )) -lt $((RECOVER_S * 1000)) ]; do
  code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$base/api/v4/jobs?per_page=5" || true)
  if [ "$code" = 200 ]; then recovered=$(( $(now_ms) - restored_at )); break; fi
  sleep 0.25
done
echo "database back after $(( (restored_at - cut_at) / 1000 )) s; the instance answered 200 again after ${recovered:-more than $((RECOVER_S * 1000))} ms"
[ -n "$recovered" ] || { echo "FAIL: the instance did not answer 200 within $RECOVER_S s of the database's return"; fail=1; }
bad=0
for _ in $(seq 1 20); do
  for path in "/api/v4/jobs?per_page=5" "/api/v1/jobs?per_page=5" "/api/jobserver/v1/jobs?limit=5"; do
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$base$path" || true)
    [ "$code" = 200 ] || bad=$((bad + 1))
  done
done
code=$(post /api/v4/jobs '{"type":"noop","data":{}}')
after_id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$work/post.json" 2>/dev/null | head -1 || true)
[ "$code" = 201 ] || bad=$((bad + 1))
echo "after recovery: $bad of 61 requests did not answer 200/201"
[ "$bad" = 0 ] || { echo "FAIL: requests still fail after the instance answered again"; fail=1; }

sleep 2
touch "$work/stop-load"
wait "$load" 2>/dev/null || true

# every job finishes
for _ in $(seq 1 240); do
  open=$(sql "SELECT COUNT(*) FROM job WHERE status NOT IN ('COMPLETED','WARNING','FAILED','CANCELED','SKIPPED','ABANDONED')")
  [ "$open" = 0 ] && break
  sleep 0.5
done

# load: every 201 is a job in the database; answers during the cut were fast 503s
sql "CREATE TABLE load_created (id text)"
awk '$3 == 201 && $4 != "" {print $4}' "$work/load.txt" > "$work/load-ids.txt"
psql -d "$DB" -q -c "\\copy load_created FROM '$work/load-ids.txt'"
load_total=$(wc -l < "$work/load.txt")
load_201=$(wc -l < "$work/load-ids.txt")
load_503=$(awk '$3 == 503' "$work/load.txt" | wc -l)
# a 201 whose id could not be read counts as other: its job cannot be followed
load_other=$(awk '($3 != 201 && $3 != 503) || ($3 == 201 && $4 == "")' "$work/load.txt" | wc -l)
load_slow=$(awk '$3 == 503 && $2 >= 5000' "$work/load.txt" | wc -l)
load_max=$(awk '$3 == 503 {if ($2 > m) m = $2} END {print m + 0}' "$work/load.txt")
lost=$(sql "SELECT COUNT(*) FROM load_created l WHERE NOT EXISTS (SELECT 1 FROM job j WHERE j.id = l.id)")
# a create answered 503 (or not answered) must not be stored later (the in-doubt commit aside: a
# connection cut between sending COMMIT and its answer; a window of microseconds here)
unasked=$(sql "SELECT COUNT(*) FROM job j WHERE NOT EXISTS (SELECT 1 FROM before_cut b WHERE b.id = j.id)
  AND NOT EXISTS (SELECT 1 FROM load_created l WHERE l.id = j.id) AND j.id <> '${after_id:-none}'")

total=$(sql "SELECT COUNT(*) FROM job")
before_done=$(sql "SELECT COUNT(*) FROM job j JOIN before_cut b ON b.id = j.id WHERE j.status = 'COMPLETED'")
created_done=$(sql "SELECT COUNT(*) FROM job j JOIN load_created l ON l.id = j.id WHERE j.status = 'COMPLETED'")
not_completed=$(sql "SELECT COUNT(*) FROM job WHERE status <> 'COMPLETED'")
runs="SELECT job_id, COUNT(*) FILTER (WHERE new_status = 'RUNNING')
  - COUNT(*) FILTER (WHERE new_status = 'PENDING' AND (message LIKE 'handed back: no worker%'
                     OR message LIKE 'handed back: its type%')) AS n
  FROM job_event GROUP BY job_id"
twice=$(sql "SELECT COUNT(*) FROM ($runs) r WHERE n > 1")
recovered_leases=$(sql "SELECT COUNT(*) FROM job_event WHERE message LIKE 'requeued: the instance running it%'")
sleep_through=$(sql "SELECT COUNT(*) FROM job WHERE type = 'sleep' AND start_at BETWEEN 1 AND $cut_at
  AND last_activity_at > $cut_at")
warnings=$(grep -c 'WARNING' "$work/outage/server.log" || true)

echo "jobs created before the cut:        $before_cut, of which completed: $before_done"
echo "sleep jobs running at the cut:       $running; started before it and ended after it: $sleep_through"
echo "creates under load:                  $load_total: $load_201 answered 201, $load_503 answered 503 (slowest $load_max ms, $load_slow of 5 s or more), $load_other other"
echo "201s not in the database:            $lost; of them completed: $created_done"
echo "jobs stored though not answered 201: $unasked"
echo "jobs in the database:                $total, not completed: $not_completed"
echo "jobs that ran twice:                 $twice; lease recoveries: $recovered_leases"
echo "WARNING records in the server log:   $warnings ($(wc -l < "$work/outage/server.log") lines in all)"

[ "$before_done" = "$before_cut" ] || { echo "FAIL: $((before_cut - before_done)) jobs created before the cut did not complete"; fail=1; }
[ "$lost" = 0 ] || { echo "FAIL: $lost creates answered 201 are not in the database"; fail=1; }
[ "$unasked" = 0 ] || { echo "FAIL: $unasked jobs are stored whose create answered 503 or nothing"; fail=1; }
[ "$created_done" = "$load_201" ] || { echo "FAIL: $((load_201 - created_done)) jobs created under load did not complete"; fail=1; }
[ "$not_completed" = 0 ] || { echo "FAIL: $not_completed jobs did not complete"; fail=1; }
[ "$twice" = 0 ] || { echo "FAIL: $twice jobs ran twice"; fail=1; }
[ "$recovered_leases" = 0 ] || { echo "FAIL: the instance's own lease recovery requeued $recovered_leases of its jobs"; fail=1; }
[ "$load_503" -gt 0 ] || { echo "FAIL: no create under load answered 503 during the cut"; fail=1; }
[ "$load_slow" = 0 ] || { echo "FAIL: $load_slow creates took 5 s or more to answer 503"; fail=1; }
[ "$load_other" = 0 ] || { echo "FAIL: $load_other creates answered neither 201 (with an id) nor 503"; fail=1; }
[ "$warnings" -le 100 ] || { echo "FAIL: $warnings WARNING records: the outage floods the log"; fail=1; }
[ "$sleep_through" -gt 0 ] || { echo "FAIL: no sleep job ran through the cut: the test did not test it"; fail=1; }

kill -TERM "$server" 2>/dev/null || true
for _ in $(seq 1 60); do kill -0 "$server" 2>/dev/null || break; sleep 0.5; done
if [ "$fail" = 0 ]; then echo "database outage test: PASSED"; else echo "database outage test: FAILED (see $work)"; exit 1; fi
