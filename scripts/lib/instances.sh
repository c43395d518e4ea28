# shellcheck shell=bash
# Sourced (not run) by the scripts that start Jobserver instances on PostgreSQL themselves: the kill
# tests, the outage and slow-client checks, bench/time-and-order.sh. The caller sets DB (the
# database, made anew) and work (a folder under target/, made anew) before sourcing, from the
# project's root folder.
#
#   prepare_instances SUBJECT ROLES HOURS   build if needed, empty $work and $DB; sets TOKEN and KEY
#   start_instance NAME PORT [JDBC_URL]     one Payara Micro in the background (log in $work/NAME/),
#                                           its pid in INSTANCE_PID; JOBSERVER_* variables given
#                                           before the call reach the server; HEAP (512m)
#   wait_ready PORT [PATH]                  until GET PATH (/api/v4/jobs?per_page=1) answers 200
#   sql "STATEMENT"                         one statement on $DB, unaligned output
# Every instance started is killed (SIGKILL) when the script exits.

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
: "${DB:?set DB before sourcing scripts/lib/instances.sh}" "${work:?set work before sourcing it}"

sql() { psql -d "$DB" -tAq -c "$1"; }

instance_pids=()
kill_instances() { for p in "${instance_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap kill_instances EXIT

prepare_instances() { # subject roles hours
  [ -f target/jobserver.war ] && [ -f target/payara-micro.jar ] || mvn -B -q -ntp package -DskipTests
  rm -rf "$work" && mkdir -p "$work/keys"
  psql -d postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
  # a key pair and a token, as an IdP would issue them; every instance verifies with the public key
  TOKEN=$(JOBSERVER_DATA_DIR="$work/keys" java -cp target/classes dev.jobserver.launcher.DevToken "$1" "$2" "$3")
  KEY="file:$PWD/$work/keys/dev-jwt-public.pem"
}

start_instance() { # name port [jdbc url]
  mkdir -p "$work/$1"
  JOBSERVER_DATA_DIR="$work/$1" JOBSERVER_INSTANCE_ID="${JOBSERVER_INSTANCE_ID:-node-$1}" \
  JOBSERVER_DB_URL="${3:-jdbc:postgresql://$PGHOST:$PGPORT/$DB?ApplicationName=node-$1}" JOBSERVER_DB_USER="$PGUSER" \
    java -Xmx"${HEAP:-512m}" -Dmp.jwt.verify.publickey.location="$KEY" -jar target/payara-micro.jar \
    --nohazelcast --disablephonehome --prebootcommandfile src/main/payara/pre-boot-commands.txt \
    --port "$2" --deploy target/jobserver.war --contextroot / >> "$work/$1/server.log" 2>&1 &
  INSTANCE_PID=$!
  instance_pids+=("$INSTANCE_PID")
}

wait_ready() { # port [path]
  local code
  for _ in $(seq 1 360); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
      "localhost:$1${2:-/api/v4/jobs?per_page=1}" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.5
  done
  echo "the instance on port $1 did not start; see $work" >&2
  exit 1
}
