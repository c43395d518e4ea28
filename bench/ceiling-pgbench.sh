#!/usr/bin/env bash
# The physical limit, as a figure (issue 23): what PostgreSQL on this machine can do for our schema
# when it runs exactly the statements one job costs the engine, batched as the engine batches them,
# with no Java in the way. One pgbench transaction script is the whole life of BATCH jobs:
#
#   create   BEGIN; INSERT BATCH jobs (one multi-row INSERT, as group commit sends them);
#            INSERT their "created" events; job_count upsert; COMMIT
#   claim    the dispatcher's claim: UPDATE ... WHERE id IN (the UNION ALL of one branch for the
#            unlimited types and one per limited type, FOR UPDATE SKIP LOCKED) RETURNING (autocommit)
#   end      the outcome recorder's turn: BEGIN; job_count and job_minute upserts; the events of the
#            start and end (two per job, one multi-row INSERT); one UPDATE per job (start and end
#            written at once, as for a job that ended before its start was written), pipelined as
#            JDBC batches them; COMMIT
#
# Two figures, each in jobs/s (transactions/s x BATCH), the best over CLIENTS pgbench clients
# (default "1 2 4"):
#   ceiling_drain  claim and end only, on a queue filled beforehand (what bench/run.sh's drain does)
#   ceiling_life   create, claim and end (a job's whole life)
# bench/run.sh's drain is then a share of ceiling_drain.
#
#   bench/ceiling-pgbench.sh                 (PostgreSQL on 127.0.0.1:5432, user postgres)
#   SECONDS_EACH=20 BATCH=50 CLIENTS="2 4" bench/ceiling-pgbench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BATCH=${BATCH:-50}
SECONDS_EACH=${SECONDS_EACH:-15}
CLIENTS=${CLIENTS:-1 2 4}
DB=${DB:-jobserver_ceiling}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)
work=target/ceiling
mkdir -p "$work"

psql -d postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
mvn -B -q -ntp liquibase:update -Dliquibase.url="jdbc:postgresql://$PGHOST:$PGPORT/$DB" \
  -Dliquibase.username="$PGUSER" -Dliquibase.password= > "$work/liquibase.log"

create_part() {
  echo "\\set tag random(1, 2000000000)"
  echo "\\set slot random(0, 15)"
  echo "BEGIN;"
  echo "INSERT INTO job (id, type, priority, create_at, start_at, last_activity_at, status, progress, data, force_run, created_by, attempt, max_attempts, run_after, lease_expires_at)"
  echo "  SELECT 'c' || :client_id || '-' || :tag || '-' || g, 'noop', 0, extract(epoch from clock_timestamp())::bigint * 1000, 0, 0, 'PENDING', 0, '{}', FALSE, 'bench', 0, 1, 0, 0 FROM generate_series(1, $BATCH) g;"
  echo "INSERT INTO job_event (job_id, at, actor, old_status, new_status, message)"
  echo "  SELECT 'c' || :client_id || '-' || :tag || '-' || g, 0, 'bench', NULL, 'PENDING', NULL FROM generate_series(1, $BATCH) g;"
  echo "INSERT INTO job_count (type, status, slot, n) VALUES ('noop', 'PENDING', :slot, $BATCH) ON CONFLICT (type, status, slot) DO UPDATE SET n = job_count.n + EXCLUDED.n;"
  echo "COMMIT;"
}
end_part() {
  # the claim, with the branches the engine sends when data_retention and job_export have free slots
  branch() {
    echo "SELECT id, priority, create_at FROM (SELECT id, priority, create_at FROM job WHERE run_after <= extract(epoch from clock_timestamp())::bigint * 1000 AND status = 'PENDING' AND lease_expires_at < extract(epoch from clock_timestamp())::bigint * 1000 $1 ORDER BY priority DESC, create_at, id LIMIT $BATCH FOR UPDATE SKIP LOCKED) b"
  }
  echo "WITH c AS (UPDATE job SET lease_owner = 'pgb-' || :client_id, lease_expires_at = extract(epoch from clock_timestamp())::bigint * 1000 + 30000"
  echo "  WHERE id IN (SELECT id FROM ($(branch "AND type NOT IN ('data_retention', 'job_export')") UNION ALL $(branch "AND type = 'data_retention'") UNION ALL $(branch "AND type = 'job_export'")) claimable ORDER BY priority DESC, create_at, id LIMIT $BATCH)"
  echo "  RETURNING id, type, data, attempt, priority, create_at, run_after)"
  echo "SELECT coalesce(array_agg(id), '{}')::text AS ids FROM c \\gset"
  echo "\\set slot random(0, 15)"
  echo "BEGIN;"
  echo "INSERT INTO job_count (type, status, slot, n) VALUES ('noop', 'PENDING', :slot, -$BATCH), ('noop', 'COMPLETED', :slot, $BATCH) ON CONFLICT (type, status, slot) DO UPDATE SET n = job_count.n + EXCLUDED.n;"
  echo "INSERT INTO job_minute (type, at_minute, finished, failed, run_ms, runs) VALUES ('noop', 29000000, $BATCH, 0, 0, $BATCH) ON CONFLICT (type, at_minute) DO UPDATE SET finished = job_minute.finished + EXCLUDED.finished, failed = job_minute.failed + EXCLUDED.failed, run_ms = job_minute.run_ms + EXCLUDED.run_ms, runs = job_minute.runs + EXCLUDED.runs;"
  echo "INSERT INTO job_event (job_id, at, actor, old_status, new_status, message) SELECT i, 0, 'engine-bench', s.o, s.n, NULL FROM unnest(:ids::text[]) i, (VALUES ('PENDING', 'RUNNING'), ('RUNNING', 'COMPLETED')) s(o, n);"
  echo "\\startpipeline"
  for k in $(seq 1 "$BATCH"); do
    echo "UPDATE job SET status = 'COMPLETED', last_activity_at = 1, attempt = attempt + 1, start_at = 1, progress = 100, lease_owner = NULL, lease_expires_at = 0 WHERE id = (:ids::text[])[$k] AND status = 'PENDING' AND lease_owner = 'pgb-' || :client_id AND attempt = 0 AND has_dependents = FALSE;"
  done
  echo "\\endpipeline"
  echo "COMMIT;"
}
{ echo "-- generated by bench/ceiling-pgbench.sh: claim and end $BATCH queued jobs"; end_part; } > "$work/drain.sql"
{ echo "-- generated by bench/ceiling-pgbench.sh: the life of $BATCH jobs"; create_part; end_part; } > "$work/life.sql"

echo "ceiling: $(nproc) cores, PostgreSQL $(psql -d postgres -tAc 'SHOW server_version' | cut -d' ' -f1), batch $BATCH, $SECONDS_EACH s each, load $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in drain life; do
  best=0
  for c in $CLIENTS; do
    psql -d "$DB" -q -c "TRUNCATE job CASCADE" 2>/dev/null
    if [ "$mode" = drain ]; then
      # more than can be drained in the time: the queue never runs dry
      psql -d "$DB" -q -c "INSERT INTO job (id, type, priority, create_at, status, data)
        SELECT lpad(to_hex(g), 26, '0'), 'noop', 0, (extract(epoch from now()) * 1000)::bigint, 'PENDING', '{}'
        FROM generate_series(1, ${QUEUED:-400000}) g"
    fi
    psql -d "$DB" -q -c "ANALYZE job" -c "CHECKPOINT"
    tps=$("$PGBENCH" -n -M extended -c "$c" -j "$c" -T "$SECONDS_EACH" -f "$work/$mode.sql" "$DB" \
      2>"$work/pgbench-$mode-$c.err" | awk '/^tps = /{print $3; exit}')
    jobs=$(awk -v t="${tps:-0}" -v b="$BATCH" 'BEGIN{printf "%d", t * b}')
    echo "ceiling_${mode}_rate clients=$c $jobs jobs/s"
    [ "$jobs" -gt "$best" ] && best=$jobs
  done
  echo "ceiling_${mode}_best $best jobs/s (load $(cut -d' ' -f1-3 /proc/loadavg))"
done
