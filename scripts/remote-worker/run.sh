#!/usr/bin/env bash
# A Python remote worker end to end (clients/python, standard library only), as a Taipy user would
# run one: starts Jobserver (embedded H2, a fresh data directory), declares the remote type
# clean_data, creates a job with POST /api/v1/jobs?task_id=clean_data as a Taipy client does, runs
# the example worker (clients/python/examples/clean_data.py) and waits for v1 to read
# Status.COMPLETED. Then the same with the worker killed with SIGKILL mid-job: the job must be
# retried after its lease (5 s) by a fresh worker and complete exactly once, and the killed run's
# late answer, replayed here with its lease token, must get 409. Fails if any check fails.
#
#   scripts/remote-worker/run.sh          (PORT=8485 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
PORT=${PORT:-8485}
work="$root/target/remote-worker"
rm -rf "$work" && mkdir -p "$work"
[ -f target/jobserver.war ] && [ -f target/payara-micro.jar ] || mvn -B -q -ntp package -DskipTests
python3 -c 'import sys; assert sys.version_info >= (3, 9)'

pids=()
launcher=
# workers are killed; the launcher is stopped with SIGTERM, so that it stops the server it started
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -z "$launcher" ] || { kill "$launcher" 2>/dev/null || true; wait "$launcher" 2>/dev/null || true; }
}
trap cleanup EXIT

# short leases and recovery, so that a killed worker's job comes back within seconds
JOBSERVER_LEASE_MS=3000 JOBSERVER_RECOVERY_MS=500 PORT=$PORT JOBSERVER_DATA_DIR="$work/data" \
  java -cp target/classes dev.jobserver.launcher.Launcher target/payara-micro.jar target/jobserver.war \
  src/main/payara/pre-boot-commands.txt > "$work/launcher.out" 2>&1 &
launcher=$!
for _ in $(seq 1 180); do
  grep -q '^export TOKEN=' "$work/launcher.out" && break
  kill -0 "$launcher" 2>/dev/null || break
  sleep 1
done
TOKEN=$(grep '^export TOKEN=' "$work/launcher.out" | cut -d= -f2)
[ -n "$TOKEN" ] || { cat "$work/launcher.out" >&2; echo "the server did not start" >&2; exit 1; }
base="http://localhost:$PORT"
api() { # method path [body]: prints the body, then the status on the last line
  curl -s -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "$base$2"
}
expect() { # status method path [body]: the body
  local out code
  out=$(api "$2" "$3" "${4:-}"); code=${out##*$'\n'}; out=${out%$'\n'*}
  [ "$code" = "$1" ] || { echo "$2 $3: expected $1, got $code: $out" >&2; exit 1; }
  printf '%s' "$out"
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
v1_status() { expect 200 GET "/api/v1/jobs/$1" | field '["job"]["status"]'; }
await_v1() { # id status seconds
  for _ in $(seq 1 $(($3 * 5))); do [ "$(v1_status "$1")" = "$2" ] && return 0; sleep 0.2; done
  echo "job $1 did not become $2 in $3 s (now $(v1_status "$1"))" >&2; exit 1
}
start_worker() { # log, then env
  JOBSERVER_URL=$base JOBSERVER_TOKEN=$TOKEN LEASE_SECONDS=5 "${@:2}" \
    python3 clients/python/examples/clean_data.py >> "$work/$1" 2>&1 &
  WORKER_PID=$!
  pids+=("$WORKER_PID")
}

expect 200 PUT /api/jobserver/v1/types/clean_data \
  '{"remote":true,"timeout":"PT10M","max_attempts":3,"backoff":"PT1S"}' > /dev/null
echo "declared the remote type clean_data"

# 1. a Taipy client creates the job; the Python worker runs it
id=$(expect 201 POST "/api/v1/jobs?task_id=clean_data" | field '["job"]["id"]')
start_worker worker1.log env WORK_SECONDS=1
await_v1 "$id" Status.COMPLETED 60
[ "$(expect 200 GET "/api/jobserver/v1/jobs/$id/result")" = $'row,value\n1,clean' ] ||
  { echo "the result file is not the worker's" >&2; exit 1; }
kill -TERM "$WORKER_PID"; wait "$WORKER_PID" 2>/dev/null || true
grep -q 'stopped' "$work/worker1.log" || { echo "the worker did not stop cleanly on SIGTERM" >&2; exit 1; }
echo "job $id: Status.COMPLETED by the Python worker; its result read back; SIGTERM stopped it"

# 2. the worker is killed with SIGKILL mid-job
id=$(expect 201 POST "/api/v1/jobs?task_id=clean_data" | field '["job"]["id"]')
start_worker worker2.log env WORK_SECONDS=120
for _ in $(seq 1 150); do grep -q "claimed $id" "$work/worker2.log" && break; sleep 0.2; done
token=$(grep "claimed $id" "$work/worker2.log" | head -1 | awk '{print $NF}')
[ -n "$token" ] || { cat "$work/worker2.log" >&2; echo "the worker never claimed $id" >&2; exit 1; }
await_v1 "$id" Status.RUNNING 10
{ kill -9 "$WORKER_PID"; wait "$WORKER_PID"; } 2>/dev/null || true
echo "worker killed (SIGKILL) while running job $id (lease token $token)"
start_worker worker3.log env WORK_SECONDS=1
await_v1 "$id" Status.COMPLETED 60
events=$(expect 200 GET "/api/jobserver/v1/jobs/$id/events")
completed=$(printf '%s' "$events" | python3 -c 'import json,sys; print(sum(e["to"]=="completed" for e in json.load(sys.stdin)))')
requeued=$(printf '%s' "$events" | python3 -c 'import json,sys; print(sum(e["from"]=="running" and e["to"]=="pending" for e in json.load(sys.stdin)))')
attempt=$(expect 200 GET "/api/jobserver/v1/jobs/$id" | field '["attempt"]')
[ "$completed" = 1 ] && [ "$requeued" = 1 ] && [ "$attempt" = 2 ] ||
  { echo "expected one requeue and one completion in 2 attempts: $events" >&2; exit 1; }
late=$(api POST "/api/jobserver/v1/jobs/$id/complete" "{\"lease_token\":$token}")
[ "${late##*$'\n'}" = 409 ] || { echo "the killed run's late answer was not refused: $late" >&2; exit 1; }
[ "$(v1_status "$id")" = Status.COMPLETED ] || { echo "the late answer changed the job" >&2; exit 1; }
echo "job $id: retried after the lease, Status.COMPLETED once (attempt 2); the killed run's late answer got 409"
echo "remote worker end to end: passed"
