#!/usr/bin/env bash
# The Jobserver benchmark, on PostgreSQL, one line per figure ("name value unit"):
#   drain   50,000 queued noop jobs -> jobs/s until all finished (first start to last finish),
#           after an unmeasured warm-up drain of the same size right after boot; then the same
#           drain with DELAYED_JOBS (100,000; 0: skip) jobs of higher priority due in an hour
#   steady  noop jobs created over HTTP with JWT by 16 clients for 30 s, after a 60 s warm-up at the
#           same load that is not measured -> creates/s, finished/s,
#           p50/p99 create latency, p50/p99 create-to-start latency, server resident memory
#   ceiling the same 16 clients on GET /api/v4/jobs/types (JWT, JAX-RS, no database) for 30 s ->
#           requests/s: what HTTP with JWT alone can serve on this machine, the bound on creates/s
#   list    p50/p99 of GET /api/v4/jobs?per_page=60 (and with status / job_type) on 1,000,000 jobs
#   search  p50/p99 of the native search on 10,000,000 jobs: the first page, pages deep in the table
#           (cursors at 50 depths), type x 2 with status x 2 (first and deep pages); and of the
#           native stats (the table is bulk-loaded, its indexes built as the migration defines them)
#   remote  REMOTE_JOBS queued jobs of a remote type drained by REMOTE_CLIENTS workers speaking the
#           worker protocol (claims of up to REMOTE_MAX, one complete call per job) -> jobs/s, beside
#           an in-process drain of as many noop jobs in the same run (REMOTE_REPS alternating pairs,
#           after one unmeasured pair); then a waiting worker's create->start latency (long poll:
#           from the create's 201 to the claim's 200), create and claim on this instance, then
#           with the claim on a second instance on the same database -> p50/p99/max; and the
#           ceiling request with REMOTE_CLIENTS clients (what one call per job is bounded by)
#   peers   right after the drain (this server stopped meanwhile), ../shared/peers-bench's drain of
#           as many jobs on the same PostgreSQL (db-scheduler with 16 and 32 threads, PEER_REPS
#           reps) -> its jobs/s and drain_ratio_db_scheduler: this run's drain over db-scheduler's
#           best thread count (not in the default parts: it needs the peer harness, PEERS_DIR)
#   At the end: creates_to_ceiling (steady creates/s over the ceiling's requests/s) when both ran,
#   and the load average at the start and the end of each part.
#
#   bench/run.sh                 (PostgreSQL on 127.0.0.1:5432, user postgres; builds if needed)
#   PARTS="drain peers steady ceiling" bench/run.sh                        (the issue's ratios)
#   DRAIN_JOBS=20000 STEADY_SECONDS=10 LIST_JOBS=200000 bench/run.sh     (a quicker run)
#   PARTS="drain steady" bench/run.sh                                      (only some parts)
#   PARTS=search SEARCH_JOBS=1000000 bench/run.sh                          (the native search only)
#   PARTS=remote bench/run.sh                                              (remote workers only)
#   SERVER_OPTS="-XX:StartFlightRecording=..." bench/run.sh                (extra JVM options)
set -euo pipefail
cd "$(dirname "$0")/.."

DRAIN_JOBS=${DRAIN_JOBS:-50000}
STEADY_SECONDS=${STEADY_SECONDS:-30}
WARMUP_SECONDS=${WARMUP_SECONDS:-60}
CLIENTS=${CLIENTS:-16}
LIST_JOBS=${LIST_JOBS:-1000000}
SEARCH_JOBS=${SEARCH_JOBS:-10000000}
WORKERS=${JOBSERVER_WORKERS:-16}
DB=${DB:-jobserver_bench}
PORT=${PORT:-8381}
REMOTE_JOBS=${REMOTE_JOBS:-20000}
REMOTE_CLIENTS=${REMOTE_CLIENTS:-16}
REMOTE_MAX=${REMOTE_MAX:-100}
REMOTE_REPS=${REMOTE_REPS:-3}
WAKES=${WAKES:-200}
PORT2=${PORT2:-8382}
PARTS=${PARTS:-drain steady ceiling list search remote}
part() { [[ " $PARTS " == *" $1 "* ]]; }
PEERS_DIR=${PEERS_DIR:-../shared/peers-bench}
PEER_REPS=${PEER_REPS:-1}
load() { echo "load_$1 $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"; }
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" # no NOTICE of each TRUNCATE .. CASCADE
work=target/bench
sql() { psql -d "$DB" -tAq -c "$1"; }

[ -f target/jobserver.war ] && [ -f target/payara-micro.jar ] || mvn -B -q -ntp package -DskipTests
rm -rf "$work" && mkdir -p "$work/keys"
TOKEN=$(JOBSERVER_DATA_DIR="$work/keys" java -cp target/classes dev.jobserver.launcher.DevToken bench manage_jobs,jobs_worker 4)
pid=""
pid2=""
launched=""
cleanup() { for p in $pid $pid2 $launched; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

fresh_db() {
  psql -d postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
  mvn -B -q -ntp liquibase:update -Dliquibase.url="jdbc:postgresql://$PGHOST:$PGPORT/$DB" \
    -Dliquibase.username="$PGUSER" -Dliquibase.password= > "$work/liquibase.log"
}
# launch INSTANCE PORT: a server on the bench database; its pid in $launched
launch() {
  JOBSERVER_DATA_DIR="$work/server-$1" JOBSERVER_INSTANCE_ID="$1" JOBSERVER_WORKERS="$WORKERS" \
  JOBSERVER_DB_URL="jdbc:postgresql://$PGHOST:$PGPORT/$DB" JOBSERVER_DB_USER="$PGUSER" \
    java ${SERVER_OPTS:-} -Xmx512m -Dmp.jwt.verify.publickey.location="file:$PWD/$work/keys/dev-jwt-public.pem" \
    -jar target/payara-micro.jar --nohazelcast --disablephonehome \
    --prebootcommandfile src/main/payara/pre-boot-commands.txt --port "$2" --deploy target/jobserver.war \
    --contextroot / >> "$work/server-$1.log" 2>&1 &
  launched=$!
  # up to 5 min: on the shared 2-core machine under other builds a boot took 129 s
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "localhost:$2/api/v4/jobs?per_page=1")" = 200 ] && return 0
    sleep 0.5
  done
  echo "the server did not start; see $work/server-$1.log" >&2; exit 1
}
start_server() { launch bench "$PORT"; pid=$launched; }
stop_server() { kill -TERM "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done; pid=""; }
finished="('COMPLETED','WARNING','FAILED','CANCELED','SKIPPED','ABANDONED')"

echo "machine $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(psql -d postgres -tAc 'SHOW server_version' | cut -d' ' -f1) PostgreSQL (autovacuum $(psql -d postgres -tAc 'SHOW autovacuum'), synchronous_commit $(psql -d postgres -tAc 'SHOW synchronous_commit')), workers $WORKERS"

# ---- drain: queued jobs, all visible at once (one INSERT); jobs/s from first start to last finish --
# A cold drain right after boot shares the 2 cores with the JIT compiler (a profile showed C2 using
# ~60% of the server's CPU then), so it runs once unmeasured as a warm-up, as steady does; its
# figure is printed as drain_rate_cold.
queue_noop() { queue_jobs noop "$1"; }
queue_jobs() {
  sql "INSERT INTO job (id, type, priority, create_at, status, data)
       SELECT lpad(to_hex(g), 26, '0'), '$1', 0, (extract(epoch from now()) * 1000)::bigint, 'PENDING', '{}'
       FROM generate_series(1, $2) g"
}
await_drained() {
  for _ in $(seq 1 1200); do
    [ "$(sql "SELECT COUNT(*) FROM job WHERE status NOT IN $finished")" = 0 ] && return 0
    sleep 0.5
  done
  echo "the drain did not finish" >&2; exit 1
}
drain_rate() {
  local span; span=$(sql "SELECT MAX(last_activity_at) - MIN(start_at) FROM job")
  echo $(( $1 * 1000 / (span > 0 ? span : 1) ))
}
fresh_db
if part drain; then
load drain_start
queue_noop "$DRAIN_JOBS"
start_server
await_drained
echo "drain_rate_cold $(drain_rate "$DRAIN_JOBS") jobs/s (right after boot, JIT still compiling)"
sql "TRUNCATE job CASCADE"
sleep 2
queue_noop "$DRAIN_JOBS"
await_drained
echo "drain_jobs $DRAIN_JOBS jobs"
drain_measured=$(drain_rate "$DRAIN_JOBS")
echo "drain_rate $drain_measured jobs/s"
load drain_end
# the same drain with DELAYED_JOBS jobs of a higher priority due in an hour, written as the store
# writes them (delayed): they must cost the claims nothing (issue 20, finding 8). DELAYED_MARK=FALSE
# writes them unmarked, as every job was before: the control
if [ "${DELAYED_JOBS:-100000}" -gt 0 ]; then
  sql "TRUNCATE job CASCADE"
  sql "INSERT INTO job (id, type, priority, create_at, status, data, run_after, delayed)
       SELECT 'delayed-' || g, 'noop', 9, (extract(epoch from now()) * 1000)::bigint, 'PENDING', '{}',
              (extract(epoch from now()) * 1000)::bigint + 3600000, ${DELAYED_MARK:-TRUE}
       FROM generate_series(1, ${DELAYED_JOBS:-100000}) g"
  sleep 2
  queue_noop "$DRAIN_JOBS"
  for _ in $(seq 1 1200); do
    [ "$(sql "SELECT COUNT(*) FROM job WHERE status NOT IN $finished AND id NOT LIKE 'delayed-%'")" = 0 ] && break
    sleep 0.5
  done
  span=$(sql "SELECT MAX(last_activity_at) - MIN(start_at) FROM job WHERE id NOT LIKE 'delayed-%'")
  echo "drain_rate_behind_delayed $(( DRAIN_JOBS * 1000 / (span > 0 ? span : 1) )) jobs/s (${DELAYED_JOBS:-100000} jobs due in an hour ahead, marked ${DELAYED_MARK:-TRUE})"
  sql "TRUNCATE job CASCADE"
fi
else
  start_server
fi

# ---- peers: db-scheduler's drain right after ours, on the same database server -----------------
if part peers; then
  [ -n "${drain_measured:-}" ] || { echo "PARTS=peers needs the drain part before it" >&2; exit 1; }
  [ -x "$PEERS_DIR/run.sh" ] || { echo "no peer harness at $PEERS_DIR (PEERS_DIR)" >&2; exit 1; }
  stop_server # our server idle beside the peer would still take CPU
  peers="$PWD/target/peers"
  [ -d "$peers" ] || cp -r "$PEERS_DIR" "$peers"
  psql -d postgres -q -c "CREATE DATABASE bench" 2>/dev/null || true # the harness's database
  load peers_start
  (cd "$peers" && PGUSER="$PGUSER" REPS="$PEER_REPS" N="$DRAIN_JOBS" ./run.sh drain) > "$work/peers.txt" 2>&1 ||
    { echo "the peer harness failed; see $work/peers.txt" >&2; exit 1; }
  load peers_end
  best=0
  for t in 16 32; do
    r=$(awk -v s="db-scheduler-t$t" '$1 == s && $2 == "drain" { for (i = 3; i <= NF; i++) if ($i ~ /^exec_per_s=/) { sub(/^exec_per_s=/, "", $i); print $i } }' "$work/peers.txt")
    echo "peer_drain_rate[db-scheduler-t$t] ${r:-?} jobs/s (median of $PEER_REPS)"
    [ -n "$r" ] && [ "${r%.*}" -gt "$best" ] && best=${r%.*}
  done
  [ "$best" -gt 0 ] || { echo "no db-scheduler figure in $work/peers.txt" >&2; exit 1; }
  echo "drain_ratio_db_scheduler $(awk -v a="$drain_measured" -v b="$best" 'BEGIN { printf "%.2f", a / b }') (this run's drain $drain_measured jobs/s over db-scheduler's best thread count, $best jobs/s)"
  start_server
fi

# ---- steady: creates over HTTP with JWT -------------------------------------------------------
if part steady; then
load steady_start
# warm-up: the same load for WARMUP_SECONDS, not measured (JIT compilation of the request path).
# On 2 cores the JIT needs minutes under this load: after 45 s a profile still found 31% of the
# request threads' time in the interpreter and C2 compiling ~10 methods/s; creates/s rose over
# twelve 20 s windows from 134 to 200-300 while the server's CPU per window fell from 29 to 16 s.
java bench/Bench.java steady "http://localhost:$PORT" "$TOKEN" "$WARMUP_SECONDS" "$CLIENTS" > "$work/warmup.txt"
sleep 2
sql "TRUNCATE job CASCADE"
( peak=0; while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" > "$work/rss_peak"
    sleep 0.5
  done ) &
sampler=$!
java bench/Bench.java steady "http://localhost:$PORT" "$TOKEN" "$STEADY_SECONDS" "$CLIENTS" | tee "$work/steady.txt"
steady_end=$(date +%s%3N)
sleep 3
kill "$sampler" 2>/dev/null || true
created=$(sql "SELECT COUNT(*) FROM job")
done_in_window=$(sql "SELECT COUNT(*) FROM job WHERE status = 'COMPLETED' AND last_activity_at <= $steady_end")
first=$(sql "SELECT MIN(create_at) FROM job")
echo "steady_finished_rate $(( done_in_window * 1000 / (steady_end - first) )) jobs/s"
echo "steady_unfinished_after_3s $(sql "SELECT COUNT(*) FROM job WHERE status NOT IN $finished") jobs"
echo "steady_start_latency_p50 $(sql "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY start_at - create_at) FROM job WHERE start_at > 0") ms"
echo "steady_start_latency_p99 $(sql "SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY start_at - create_at) FROM job WHERE start_at > 0") ms"
echo "steady_rss_peak $(( $(cat "$work/rss_peak" 2>/dev/null || echo 0) / 1024 )) MB"
load steady_end
fi

# ---- ceiling: the same clients on a request that does no database work -------------------------
if part ceiling; then
java bench/Bench.java rate "http://localhost:$PORT" "$TOKEN" 10 "$CLIENTS" /api/v4/jobs/types > /dev/null
java bench/Bench.java rate "http://localhost:$PORT" "$TOKEN" "$STEADY_SECONDS" "$CLIENTS" /api/v4/jobs/types \
  | sed 's/^rate/ceiling_rate/' | tee "$work/ceiling.txt"
load ceiling_end
if [ -f "$work/steady.txt" ]; then
  creates=$(awk '$1 == "steady_create_rate" { print $2 }' "$work/steady.txt")
  ceiling=$(awk '$1 ~ /^ceiling_rate/ { print $2 }' "$work/ceiling.txt")
  echo "creates_to_ceiling $(awk -v a="$creates" -v b="$ceiling" 'BEGIN { printf "%.2f", a / b }') (steady creates $creates/s over the ceiling's $ceiling requests/s, same run)"
fi
fi

# ---- list: a table of LIST_JOBS finished jobs ---------------------------------------------------
if part list; then
sql "TRUNCATE job CASCADE"
sql "INSERT INTO job (id, type, priority, create_at, start_at, last_activity_at, status, progress, data)
     SELECT lpad(to_hex(g), 26, '0'), (ARRAY['noop','sleep','job_export','data_retention'])[1 + g % 4], 0,
            1700000000000 + g * 10, 1700000000000 + g * 10 + 1, 1700000000000 + g * 10 + 2,
            (ARRAY['COMPLETED','COMPLETED','COMPLETED','FAILED','CANCELED','WARNING'])[1 + g % 6], 100,
            '{\"k\":\"v\"}'
     FROM generate_series(1, $LIST_JOBS) g"
sql "ANALYZE job"
echo "list_jobs $(sql "SELECT COUNT(*) FROM job") jobs"
# warm up first (unmeasured): the server was just started, and over the first thousands of
# requests the JIT still compiles the request path (p50 fell 10.7 -> 3.2 ms over four series)
for q in "per_page=60" "per_page=60&status=error" "per_page=60&status=success" "per_page=60&job_type=sleep"; do
  java bench/Bench.java list "http://localhost:$PORT" "$TOKEN" 1500 "$q" > /dev/null
done
java bench/Bench.java list "http://localhost:$PORT" "$TOKEN" 1000 "per_page=60"
java bench/Bench.java list "http://localhost:$PORT" "$TOKEN" 1000 "per_page=60&status=error"
java bench/Bench.java list "http://localhost:$PORT" "$TOKEN" 1000 "per_page=60&status=success"
java bench/Bench.java list "http://localhost:$PORT" "$TOKEN" 1000 "per_page=60&job_type=sleep"
fi

# ---- search: the native API on SEARCH_JOBS finished jobs ----------------------------------------
if part search; then
sql "TRUNCATE job CASCADE"
sql "TRUNCATE job_count"
sql "TRUNCATE job_minute"
# bulk load: the secondary indexes are dropped first and built afterwards as the migration made
# them (loading 10 million rows through eight indexes takes far longer than building them)
indexes=$(sql "SELECT string_agg(indexdef, '; ') FROM pg_indexes WHERE tablename = 'job' AND indexname <> 'pk_job'")
for name in $(sql "SELECT indexname FROM pg_indexes WHERE tablename = 'job' AND indexname <> 'pk_job'"); do
  sql "DROP INDEX $name"
done
sql "INSERT INTO job (id, type, priority, create_at, start_at, last_activity_at, status, progress, data)
     SELECT lpad(to_hex(g), 26, '0'), (ARRAY['noop','sleep','job_export','data_retention'])[1 + g % 4], 0,
            1700000000000 + g * 10, 1700000000000 + g * 10 + 1, 1700000000000 + g * 10 + 2,
            (ARRAY['COMPLETED','COMPLETED','COMPLETED','FAILED','CANCELED','WARNING'])[1 + g % 6], 100,
            '{\"k\":\"v\"}'
     FROM generate_series(1, $SEARCH_JOBS) g"
psql -d "$DB" -q -c "SET maintenance_work_mem = '512MB'" -c "$indexes"
# the counters the store keeps with every change, as they would stand; and a year of finished runs
sql "INSERT INTO job_count (type, status, n) SELECT type, status, COUNT(*) FROM job GROUP BY type, status"
sql "INSERT INTO job_minute (type, at_minute, finished, failed, run_ms, runs)
     SELECT t, m, 60, 6, 6000, 60 FROM unnest(ARRAY['noop','sleep','job_export','data_retention']) t,
            generate_series((extract(epoch from now()) / 60)::bigint - 525600, (extract(epoch from now()) / 60)::bigint) m"
sql "VACUUM ANALYZE job"
sql "ANALYZE job_minute"
echo "search_jobs $(sql "SELECT COUNT(*) FROM job") jobs"
# 50 cursors at depths spread over the table (the id and create_at of job g, as the bench made them)
cursor() { printf '1:%d:%026x' $((1700000000000 + $1 * 10)) "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
api=/api/jobserver/v1
deep=() ; both_deep=()
for i in $(seq 1 50); do
  g=$(( SEARCH_JOBS / 51 * i ))
  deep+=("$api/jobs?limit=50&cursor=$(cursor $g)")
  both_deep+=("$api/jobs?limit=50&type=noop&type=sleep&status=failed&status=canceled&cursor=$(cursor $g)")
done
both="$api/jobs?limit=50&type=noop&type=sleep&status=failed&status=canceled"
# warm up first (unmeasured), as for list
for paths in "$api/jobs?limit=50" "${deep[*]}" "$both" "${both_deep[*]}" "$api/stats"; do
  # shellcheck disable=SC2086
  java bench/Bench.java get "http://localhost:$PORT" "$TOKEN" 1500 warmup $paths > /dev/null
done
java bench/Bench.java get "http://localhost:$PORT" "$TOKEN" 1000 search_first_page "$api/jobs?limit=50"
java bench/Bench.java get "http://localhost:$PORT" "$TOKEN" 1000 search_deep_page "${deep[@]}"
java bench/Bench.java get "http://localhost:$PORT" "$TOKEN" 1000 search_type2_status2 "$both"
java bench/Bench.java get "http://localhost:$PORT" "$TOKEN" 1000 search_type2_status2_deep "${both_deep[@]}"
java bench/Bench.java get "http://localhost:$PORT" "$TOKEN" 1000 stats "$api/stats"
fi
# ---- remote: workers speaking the protocol, beside the in-process drain of the same run ------------
if part remote; then
sql "TRUNCATE job CASCADE"
curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"remote":true,"timeout":"PT1H","max_attempts":1,"backoff":"PT1S","max_concurrent":0}' \
  "localhost:$PORT/api/jobserver/v1/types/bench_remote"
# one pair: the in-process drain of REMOTE_JOBS noop jobs, then the remote drain of as many
inprocess_then_remote() {
  queue_noop "$REMOTE_JOBS"
  await_drained
  inprocess=$(drain_rate "$REMOTE_JOBS")
  sql "TRUNCATE job CASCADE"
  queue_jobs bench_remote "$REMOTE_JOBS"
  java bench/Bench.java remote "http://localhost:$PORT" "$TOKEN" bench_remote "$REMOTE_JOBS" "$REMOTE_CLIENTS" "$REMOTE_MAX" > "$work/remote.txt"
  await_drained
  remote=$(drain_rate "$REMOTE_JOBS")
  sql "TRUNCATE job CASCADE"
}
inprocess_then_remote # warm-up, not measured
echo "remote_drain_jobs $REMOTE_JOBS jobs ($REMOTE_CLIENTS workers, claims of up to $REMOTE_MAX)"
ratios=()
for rep in $(seq 1 "$REMOTE_REPS"); do
  inprocess_then_remote
  ratio=$(awk -v r="$remote" -v i="$inprocess" 'BEGIN { printf "%.2f", r / i }')
  ratios+=("$ratio")
  echo "remote_drain_rate[$rep] $remote jobs/s (in-process $inprocess jobs/s; ratio $ratio)"
  grep -E '^remote_(claims|complete_p50|complete_p99|claim_p50) ' "$work/remote.txt" | sed "s/ /[$rep] /"
done
echo "remote_drain_ratio_median $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
# the bound on any protocol of one call per job: as many clients on an authenticated request that
# does no database work (the ceiling part's request), in this run
java bench/Bench.java rate "http://localhost:$PORT" "$TOKEN" 10 "$REMOTE_CLIENTS" /api/v4/jobs/types \
  | sed 's/^rate/remote_ceiling_rate/'

# a waiting worker's create->start: on this instance, then across two instances
java bench/Bench.java wake "http://localhost:$PORT" "http://localhost:$PORT" "$TOKEN" bench_remote 20 warmup > /dev/null
java bench/Bench.java wake "http://localhost:$PORT" "http://localhost:$PORT" "$TOKEN" bench_remote "$WAKES" remote_wake_same
launch bench2 "$PORT2"; pid2=$launched
java bench/Bench.java wake "http://localhost:$PORT" "http://localhost:$PORT2" "$TOKEN" bench_remote 20 warmup > /dev/null
java bench/Bench.java wake "http://localhost:$PORT" "http://localhost:$PORT2" "$TOKEN" bench_remote "$WAKES" remote_wake_across
kill -TERM "$pid2"; while kill -0 "$pid2" 2>/dev/null; do sleep 0.2; done; pid2=""
fi
stop_server
