#!/usr/bin/env bash
# The unchanged target/jobserver.war on a fresh Payara Server 6 domain, as an application-server team
# runs it: the distribution from Maven Central, a domain, a PostgreSQL JDBC pool and jdbc/jobserver
# made with asadmin, the settings made with set-config-property, the WAR deployed at /jobserver.
# Then a smoke (smoke.sh): v4 and v1 create -> run -> read with a token, the jobs in PostgreSQL, the
# domain's settings read, health ready, the console loading in Chromium under /jobserver. With
# REDEPLOY=1, redeploy.sh: asadmin redeploy three times while jobs run, checking that none is lost
# and that the DAS's threads and the pool's connections in use come back where they were (off by
# default: it adds 3.5 to 4 minutes; docs/deploying.md, Upgrades).
# Then (GROUP=0 skips it) a deployment group of two instances gets the WAR, and group.mjs checks that
# jobs created on either run on both and that a SIGKILL of one mid-run loses none. Everything is
# torn down at the end (instances, domain, database), also when a step fails.
#
#   bash scripts/payara-server/run.sh        from the project's root or anywhere; builds if needed
#
# Ports: ADMIN_PORT (14848), HTTP_PORT (18180), and BASE_PORT (18100) + offsets for the rest of the
# domain's listeners; the instances jobs-1 and jobs-2 use BASE_PORT + 10..19 and + 20..29. Database: DB (jobserver_as_smoke) on PGHOST/PGPORT/PGUSER (127.0.0.1:5432,
# postgres). KEEP=1 leaves the domain running (then: asadmin stop-domain --domaindir ... jobserver).
# Every asadmin command it runs is printed (docs/deploying.md shows the same ones).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
PAYARA_VERSION=${PAYARA_VERSION:-6.2025.10}
ADMIN_PORT=${ADMIN_PORT:-14848}
HTTP_PORT=${HTTP_PORT:-18180}
BASE_PORT=${BASE_PORT:-18100}
DB=${DB:-jobserver_as_smoke}
WORKERS=${WORKERS:-5}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
work="$root/target/payara-server"
domaindir="$work/domains"
domain=jobserver
started=$(date +%s)

say() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }
asadmin() {
  echo "+ asadmin $*"
  "$work/payara6/bin/asadmin" --port "$ADMIN_PORT" "$@"
}

teardown() {
  local rc=$?
  if [ "${KEEP:-0}" = 1 ] && [ $rc -eq 0 ]; then
    echo "KEEP=1: the domain goes on: $work/payara6/bin/asadmin stop-domain --domaindir $domaindir $domain"
    return
  fi
  say "tearing down"
  if [ -d "$domaindir/$domain" ]; then
    "$work/payara6/bin/asadmin" --port "$ADMIN_PORT" stop-deployment-group --kill=true jobserver-group > /dev/null 2>&1 || true
    for pidfile in "$work"/payara6/glassfish/nodes/*/*/config/pid; do # instances that did not stop
      [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2> /dev/null || true
    done
    "$work/payara6/bin/asadmin" --port "$ADMIN_PORT" undeploy jobserver > /dev/null 2>&1 || true
    "$work/payara6/bin/asadmin" stop-domain --domaindir "$domaindir" --kill=true "$domain" > /dev/null 2>&1 || true
    if [ $rc -ne 0 ] && cp "$domaindir/$domain/logs/server.log" "$work/server.log" 2> /dev/null; then
      # CI keeps only the output: the domain's warnings and errors, their first lines
      echo "the domain's log: $work/server.log; its SEVERE and WARNING records:"
      grep -A2 -E '\[(SEVERE|WARNING)\]' "$work/server.log" | cut -c1-300 | tail -60 || true
    fi
    "$work/payara6/bin/asadmin" delete-domain --domaindir "$domaindir" "$domain" > /dev/null 2>&1 || true
  fi
  psql -d postgres -q -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
  echo "took $(($(date +%s) - started)) s"
  exit $rc
}

if curl -s -o /dev/null "http://localhost:$HTTP_PORT/" || curl -s -o /dev/null "http://localhost:$ADMIN_PORT/"; then
  echo "port $HTTP_PORT or $ADMIN_PORT is already in use: set HTTP_PORT / ADMIN_PORT" >&2
  exit 1
fi

say "the WAR and the distribution"
[ -f target/jobserver.war ] || mvn -B -q -ntp package -DskipTests
rm -rf "$work" && mkdir -p "$work"
cp target/jobserver.war "$work/jobserver.war" # what is deployed stays the same while it runs
# From Maven Central, through the local repository (a second run downloads nothing)
mvn -B -q -ntp dependency:copy -Dartifact="fish.payara.distributions:payara:$PAYARA_VERSION:zip" \
  -DoutputDirectory="$work"
pg_version=$(sed -n 's:.*<postgresql.version>\(.*\)</postgresql.version>.*:\1:p' pom.xml)
mvn -B -q -ntp dependency:copy -Dartifact="org.postgresql:postgresql:$pg_version:jar" -DoutputDirectory="$work"
unzip -q "$work/payara-$PAYARA_VERSION.zip" -d "$work"
trap teardown EXIT

say "the database"
psql -d postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"

say "the domain"
p=$BASE_PORT
asadmin create-domain --domaindir "$domaindir" --adminport "$ADMIN_PORT" --instanceport "$HTTP_PORT" \
  --nopassword=true \
  --domainproperties "http.ssl.port=$((p + 81)):jms.port=$((p + 76)):orb.listener.port=$((p + 37)):orb.ssl.port=$((p + 38)):orb.mutualauth.port=$((p + 39)):domain.jmxPort=$((p + 86)):osgi.shell.telnet.port=$((p + 66)):java.debugger.port=$((p + 9))" \
  "$domain"
# The PostgreSQL driver for the domain's pools: in the domain's lib/ before it starts (on a running
# domain: asadmin add-library postgresql-*.jar, then restart-domain)
cp "$work/postgresql-$pg_version.jar" "$domaindir/$domain/lib/"
asadmin start-domain --domaindir "$domaindir" "$domain"

say "the domain's settings"
# Jobserver's instances share work through the database, not the data grid: no Hazelcast (it
# listens on *:4900), and no EJB timer database (Jobserver has no EJB timers)
asadmin set-hazelcast-configuration --enabled=false --dynamic=true
asadmin set configs.config.server-config.ejb-container.ejb-timer-service.ejb-timer-service=Dummy
# The settings of src/main/payara/pre-boot-commands.txt: 64 KiB request headers (IdP tokens with
# many groups) and a 128 KiB send buffer (a client that stops reading costs little heap)
asadmin set configs.config.server-config.network-config.protocols.protocol.http-listener-1.http.header-buffer-length-bytes=65536
asadmin set configs.config.server-config.network-config.transports.transport.tcp.socket-write-buffer-size=131072

say "the JDBC pool and jdbc/jobserver"
# What the outage behaviour relies on (docs/deploying.md, "The pool"): every connection checked as
# it is handed out (meta-data: no round trip), one found broken drops all idle ones (fail-all),
# connect/login/socket timeouts of 3 s, and at most 2 s waiting for a pooled connection.
# The database password as a password alias of the domain, not in domain.xml (this database trusts
# local connections: any password does; PGPASSWORD is used when set)
printf 'AS_ADMIN_ALIASPASSWORD=%s\n' "${PGPASSWORD:-unused-here}" > "$work/alias-password"
asadmin --passwordfile "$work/alias-password" create-password-alias jobserver-db
rm -f "$work/alias-password"
asadmin create-jdbc-connection-pool \
  --datasourceclassname org.postgresql.ds.PGSimpleDataSource --restype javax.sql.DataSource \
  --steadypoolsize 0 --maxpoolsize 48 --maxwait 2000 \
  --isconnectvalidatereq=true --validationmethod meta-data --failconnection=true \
  --property "serverName=$PGHOST:portNumber=$PGPORT:databaseName=$DB:user=$PGUSER:password=\${ALIAS=jobserver-db}:connectTimeout=3:loginTimeout=3:socketTimeout=3:tcpKeepAlive=true:reWriteBatchedInserts=true:ApplicationName=jobserver" \
  jobserver-pool
asadmin create-jdbc-resource --connectionpoolid jobserver-pool jdbc/jobserver
asadmin ping-connection-pool jobserver-pool

say "Jobserver's settings, on the domain"
keys="$work/keys"
TOKEN=$(JOBSERVER_DATA_DIR="$keys" java -cp target/classes dev.jobserver.launcher.DevToken smoke)
READ_TOKEN=$(JOBSERVER_DATA_DIR="$keys" java -cp target/classes dev.jobserver.launcher.DevToken viewer read_jobs 1)
asadmin set-config-property --source=domain --propertyName=jobserver.datasource --propertyValue=jdbc/jobserver
asadmin set-config-property --source=domain --propertyName=jobserver.workers --propertyValue="$WORKERS"
asadmin set-config-property --source=domain --propertyName=jobserver.instance.id --propertyValue=das
asadmin set-config-property --source=domain --propertyName=jobserver.data.dir --propertyValue="$work/data"
asadmin set-config-property --source=domain --propertyName=mp.jwt.verify.publickey.location --propertyValue="file:$keys/dev-jwt-public.pem"
asadmin set-config-property --source=domain --propertyName=mp.jwt.verify.issuer --propertyValue=jobserver-dev

# A restart before the deployment: the listener settings above restart http-listener-1 in the
# running domain (server.log: "Network Listener http-listener-1 started" a second time), and
# Payara keeps MicroProfile Config values for up to 60 s (docs/deploying.md); CI's run of
# 2026-12-07 found nothing listening on the HTTP port right after a deploy that had succeeded.
say "restarting the domain with its settings"
asadmin restart-domain --domaindir "$domaindir" "$domain"

say "deploying the unchanged WAR at /jobserver"
t0=$(date +%s)
asadmin deploy --name jobserver --contextroot /jobserver "$work/jobserver.war"
echo "deployed in $(($(date +%s) - t0)) s"

# The HTTP listener must answer before the smoke begins; when it does not, say what the domain shows
for _ in $(seq 1 60); do
  curl -s -o /dev/null "http://localhost:$HTTP_PORT/" && break
  sleep 1
done
if ! curl -s -o /dev/null "http://localhost:$HTTP_PORT/"; then
  echo "FAIL: nothing answers on http://localhost:$HTTP_PORT/ 60 s after the deployment" >&2
  ss -ltnp 2> /dev/null | grep -E ":($HTTP_PORT|$ADMIN_PORT) " >&2 || echo "(neither port is listening)" >&2
  asadmin list-applications >&2 || true
  exit 1
fi

say "smoke"
[ -d scripts/browser/node_modules/playwright-core ] ||
  (cd scripts/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
DB="$DB" WORKERS="$WORKERS" INSTANCE=das OUT="$work/screenshots" \
  node scripts/payara-server/smoke.mjs "http://localhost:$HTTP_PORT" /jobserver "$TOKEN" "$READ_TOKEN"

[ "${REDEPLOY:-0}" = 0 ] || bash scripts/payara-server/redeploy.sh "$work" "$ADMIN_PORT" "$HTTP_PORT" "$DB" "$TOKEN" \
  "$domaindir/$domain/config/pid"

# What the domain logged through the deploys (and redeploys): none of these was Jobserver's at the
# last look (a NoClassDefFoundError at undeploy, Liquibase's thread locals, RAR5031 at each deploy
# and undeploy were, issue 21); printed, not failed on, as the server may log its own
echo "the domain's log: $(grep -c '\[SEVERE\]' "$domaindir/$domain/logs/server.log" || true) SEVERE," \
  "$(grep -c '\[WARNING\]' "$domaindir/$domain/logs/server.log" || true) WARNING records"
grep -A2 -E '\[(SEVERE|WARNING)\]' "$domaindir/$domain/logs/server.log" | grep -v '^\s*at ' | cut -c1-200 | head -20 || true

# The engine's shutdown path (hand-back at undeploy) writes through the operator's data source too,
# not the embedded default (issue 21: it wrote to an H2 file in the data dir and handed nothing back)
if grep -q "Preparing the shutdown path failed" "$domaindir/$domain/logs/server.log"; then
  echo "FAIL: the engine could not prepare its shutdown path on jdbc/jobserver (the domain's server.log)" >&2
  exit 1
fi
if [ -f "$work/data/logs/engine-shutdown.log" ] && grep -q "failed" "$work/data/logs/engine-shutdown.log"; then
  echo "FAIL: an undeploy's hand-back failed:" >&2
  grep "failed" "$work/data/logs/engine-shutdown.log" | head -5 >&2
  exit 1
fi
if ls "$work"/data/*.mv.db > /dev/null 2>&1; then
  echo "FAIL: an embedded H2 database appeared in the data dir although jobserver.datasource is set" >&2
  exit 1
fi

[ "${GROUP:-1}" = 1 ] || exit 0
say "a deployment group of two instances"
# The instances' configurations are copies of default-config: the settings of the DAS's above, and
# each instance's name as its Jobserver instance id (in lease owners, job events, the console)
asadmin set configs.config.default-config.ejb-container.ejb-timer-service.ejb-timer-service=Dummy
asadmin set configs.config.default-config.network-config.protocols.protocol.http-listener-1.http.header-buffer-length-bytes=65536
asadmin set configs.config.default-config.network-config.transports.transport.tcp.socket-write-buffer-size=131072
asadmin create-jvm-options --target default-config '-Djobserver.instance.id=${com.sun.aas.instanceName}'
asadmin create-deployment-group jobserver-group
for i in 1 2; do
  b=$((BASE_PORT + 10 * i)) # 18110-18119 and 18120-18129
  asadmin create-instance --node "localhost-$domain" --deploymentgroup jobserver-group \
    --systemproperties "HTTP_LISTENER_PORT=$b:HTTP_SSL_LISTENER_PORT=$((b + 1)):ASADMIN_LISTENER_PORT=$((b + 2)):IIOP_LISTENER_PORT=$((b + 3)):IIOP_SSL_LISTENER_PORT=$((b + 4)):IIOP_SSL_MUTUALAUTH_PORT=$((b + 5)):JMX_SYSTEM_CONNECTOR_PORT=$((b + 6)):JMS_PROVIDER_PORT=$((b + 7)):OSGI_SHELL_TELNET_PORT=$((b + 8)):JAVA_DEBUGGER_PORT=$((b + 9))" \
    "jobs-$i"
done
asadmin create-resource-ref --target jobserver-group jdbc/jobserver
asadmin start-deployment-group jobserver-group
# the application moves from the DAS to the group: the DAS administers, the instances run jobs.
asadmin undeploy jobserver
asadmin deploy --target jobserver-group --name jobserver --contextroot /jobserver "$work/jobserver.war"
# Deployed to running instances: Payara refuses the engine's managed threads until the module is
# enabled ("Module jobserver is disabled"); the engine starts them again until they run, and
# /health/ready says UP only then (EngineLoop.State.STARTING).
for i in 1 2; do
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null "http://localhost:$((BASE_PORT + 10 * i))/health/ready" && break
    sleep 1
  done
done
DB="$DB" NAMES=jobs-1,jobs-2 node scripts/payara-server/group.mjs \
  "http://localhost:$((BASE_PORT + 10))/jobserver" "http://localhost:$((BASE_PORT + 20))/jobserver" "$TOKEN" \
  "$work/payara6/glassfish/nodes/localhost-$domain/jobs-1/config/pid"
