#!/usr/bin/env bash
# Generated clients that run: starts Jobserver (embedded H2, a fresh data directory), fetches its
# /openapi document, generates a Java client (openapi-generator `java`, library `native`) and a
# Python client (`python`) from it with openapi-generator-maven-plugin 7.17.0 (pom.xml beside this
# file; the generated code goes to scripts/clients/target/, never committed), then runs
#   - the Java scenario: a v4 job created and read until it succeeds, another canceled, a native
#     search followed page by page with the cursor, 404s read as the typed AppError and ApiError;
#   - the Python scenario: a job created through /api/v1/jobs as Taipy users do, its status read
#     until it completed, a 404 read as the typed TaipyMessage.
# Fails if the document does not generate, the Java client does not compile, or a scenario fails.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
PORT=${PORT:-8482}
work="$root/target/clients"
rm -rf "$work" target && mkdir -p "$work"
# the Python client needs urllib3, python-dateutil, pydantic 2 and typing-extensions (its
# requirements.txt); the machine has them, and PyPI cannot be reached from here to install them
python3 -c 'import urllib3, dateutil, pydantic, typing_extensions; assert pydantic.VERSION >= "2"' ||
  { echo "python3 lacks urllib3, python-dateutil, pydantic>=2 or typing-extensions" >&2; exit 1; }
[ -f "$root/target/jobserver.war" ] || (cd "$root" && mvn -B -q -ntp package -DskipTests)

# the launcher prints its banner (with the `export TOKEN=` line, all roles) once the application
# answers, and exits non-zero if the server fails to start; Payara's log is in $work/data/logs/
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
[ -n "$TOKEN" ] || { cat "$work/launcher.out" >&2; echo "the server did not start; see $work/data/logs/" >&2; exit 1; }
base="http://localhost:$PORT"

curl -sf -H 'Accept: application/json' "$base/openapi" -o "$work/openapi.json"
mvn -B -q -ntp -Dopenapi.spec="$work/openapi.json" package
java -cp "target/classes:$(cat target/classpath.txt)" dev.jobserver.clients.JavaClientScenario "$base" "$TOKEN"
PYTHONPATH=target/generated-sources/python python3 python/scenario.py "$base" "$TOKEN"
echo "generated clients: Java and Python scenarios passed"
