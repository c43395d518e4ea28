#!/usr/bin/env bash
# Starts Jobserver (embedded H2, a fresh data directory) and drives it with the unmodified
# @mattermost/client package: createJob, getJob, getJobs, getJobsByType, cancelJob.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
PORT=${PORT:-8481}
work="$root/target/mattermost-client"
rm -rf "$work" && mkdir -p "$work"
npm ci --no-audit --no-fund --loglevel=error
[ -f "$root/target/jobserver.war" ] || (cd "$root" && mvn -B -q -ntp package -DskipTests)
# the launcher prints its banner (with the `export TOKEN=` line) once the application answers, and
# exits non-zero if the server fails to start; Payara's own log is in $work/data/logs/server.log
PORT=$PORT JOBSERVER_DATA_DIR="$work/data" java -cp "$root/target/classes" dev.jobserver.launcher.Launcher \
  "$root/target/payara-micro.jar" "$root/target/jobserver.war" "$root/src/main/payara/pre-boot-commands.txt" \
  > "$work/launcher.out" 2>&1 &
launcher=$!
trap 'kill $launcher 2>/dev/null || true; wait $launcher 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  grep -q '^export TOKEN=' "$work/launcher.out" && break
  kill -0 $launcher 2>/dev/null || break
  sleep 1
done
TOKEN=$(grep '^export TOKEN=' "$work/launcher.out" | cut -d= -f2)
[ -n "$TOKEN" ] || { cat "$work/launcher.out" >&2; echo "the server did not start; see $work/data/logs/server.log" >&2; exit 1; }
node check.mjs "http://localhost:$PORT" "$TOKEN"
