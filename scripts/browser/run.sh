#!/usr/bin/env bash
# Browser tests of the console: starts Jobserver (embedded H2, a fresh data directory), makes a token
# with every role and a read-only one, and walks the console in Debian's Chromium with playwright-core
# (walk.mjs). Screenshots of every step are kept in target/browser/.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
PORT=${PORT:-8482}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
work="$root/target/browser"
rm -rf "$work" && mkdir -p "$work"
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM (Debian: apt-get install chromium)" >&2; exit 1; }
# playwright-core drives the system Chromium; it never downloads a browser of its own
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
node --test unit.test.mjs sso.test.mjs
[ -f "$root/target/jobserver.war" ] || (cd "$root" && mvn -B -q -ntp package -DskipTests)
if curl -s -o /dev/null "http://localhost:$PORT/"; then
  echo "port $PORT is already in use: the walk would test that server; set PORT" >&2
  exit 1
fi
data="$work/server-data"
PORT=$PORT JOBSERVER_DATA_DIR="$data" java -cp "$root/target/classes" dev.jobserver.launcher.Launcher \
  "$root/target/payara-micro.jar" "$root/target/jobserver.war" > "$work/server.log" 2>&1 &
launcher=$!
trap 'kill $launcher 2>/dev/null || true; wait $launcher 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do grep -q '^export TOKEN=' "$work/server.log" && break; sleep 1; done
TOKEN=$(grep '^export TOKEN=' "$work/server.log" | cut -d= -f2)
[ -n "$TOKEN" ] || { echo "the server did not start; see $work/server.log" >&2; exit 1; }
READ_TOKEN=$(JOBSERVER_DATA_DIR="$data" java -cp "$root/target/classes" dev.jobserver.launcher.DevToken viewer read_jobs 1)
node walk.mjs "http://localhost:$PORT" "$TOKEN" "$READ_TOKEN" "$work"
