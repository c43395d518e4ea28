#!/usr/bin/env bash
# Single sign-on against a real Keycloak: fetches Keycloak's distribution from Maven Central,
# starts it in development mode with the realms kept here (realm-jobserver.json: users with realm
# roles, one whose role only JOBSERVER_ROLE_MAP turns into manage_jobs, the console's public PKCE
# client; realm-other.json: another realm), starts Jobserver against the realm's JWKS URL, and
# checks each user's allowed and refused routes, the microprofile-jwt token shape (roles in
# groups), the console's sign-in (authorization code + PKCE), a foreign realm's token, and a key
# rotated through Keycloak's admin API. Prints one line per check, then "N passed, N failed";
# exits non-zero if any failed.
#
#   scripts/keycloak/run.sh                     (ports: KC_PORT=8582, PORT=8581 for Jobserver)
#   KC_JAVA_HOME=/path/to/jdk21+ scripts/keycloak/run.sh
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
root=$(cd ../.. && pwd)
KC_VERSION=${KC_VERSION:-26.4.7}
KC_PORT=${KC_PORT:-8582}
PORT=${PORT:-8581}
work="$root/target/keycloak"
started=$(date +%s)

log() { printf '\n==> %s\n' "$*"; }
pass=0
failed=0
ok() { pass=$((pass + 1)); printf 'ok    %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
check() { # description expected actual
  if [ "$2" = "$3" ]; then ok "$1: $3"; else bad "$1: expected $2, got $3"; fi
}
die() { echo "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
log "tools"
missing=()
for tool in curl jq unzip openssl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# Keycloak 26 needs Java 21 or later; Jobserver runs on the default JDK (17)
java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
kc_java=""
for jdk in ${KC_JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
  if [ -x "$jdk/bin/java" ] && [ "$(java_major "$jdk")" -ge 21 ] 2>/dev/null; then kc_java=$jdk; break; fi
done
[ -n "$kc_java" ] || die "Keycloak needs a JDK 21 or later (none under /usr/lib/jvm); set KC_JAVA_HOME"
echo "Keycloak $KC_VERSION on $kc_java (Java $(java_major "$kc_java"))"

# ---------------------------------------------------------------------------------------------
log "Keycloak $KC_VERSION (Maven Central: org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip)"
kc_home="$work/keycloak-$KC_VERSION"
if [ ! -x "$kc_home/bin/kc.sh" ]; then
  mkdir -p "$work"
  (cd "$root" && mvn -B -q -ntp dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" \
    -DoutputDirectory="$work")
  rm -rf "$kc_home" && unzip -q "$work/keycloak-quarkus-dist-$KC_VERSION.zip" -d "$work"
  rm -f "$work/keycloak-quarkus-dist-$KC_VERSION.zip"
fi
[ -f "$root/target/jobserver.war" ] || (cd "$root" && mvn -B -q -ntp package -DskipTests)

# fresh state every run: the realms are imported anew, passwords are made here
rm -rf "$kc_home/data" && mkdir -p "$kc_home/data/import"
password=$(openssl rand -hex 12)
admin_password=$(openssl rand -hex 12)
kc="http://localhost:$KC_PORT"
console_url="http://localhost:$PORT"
for realm in jobserver other; do
  sed -e "s|__PASSWORD__|$password|g" -e "s|__CONSOLE_URL__|$console_url|g" \
    "$here/realm-$realm.json" > "$kc_home/data/import/realm-$realm.json"
done

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

JAVA_HOME="$kc_java" KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD="$admin_password" \
  "$kc_home/bin/kc.sh" start-dev --import-realm --http-port="$KC_PORT" \
  --http-management-port=$((KC_PORT + 1)) --hostname="$kc" > "$work/keycloak.log" 2>&1 &
pids+=($!)

# Jobserver, pointed at the realm's JWKS URL
rm -rf "$work/jobserver" && mkdir -p "$work/jobserver"
PORT=$PORT JOBSERVER_DATA_DIR="$work/jobserver/data" \
  MP_JWT_VERIFY_PUBLICKEY_LOCATION="$kc/realms/jobserver/protocol/openid-connect/certs" \
  MP_JWT_VERIFY_ISSUER="$kc/realms/jobserver" \
  JOBSERVER_ROLES_CLAIM=realm_access.roles \
  JOBSERVER_ROLE_MAP=jobs-operator=manage_jobs \
  JOBSERVER_OIDC_CLIENT_ID=jobserver-console \
  java -cp "$root/target/classes" dev.jobserver.launcher.Launcher \
    "$root/target/payara-micro.jar" "$root/target/jobserver.war" > "$work/jobserver/server.log" 2>&1 &
pids+=($!)

wait_for() { # what url seconds
  for _ in $(seq 1 "$3"); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$2" || true)" = 200 ] && return 0
    sleep 1
  done
  die "$1 did not start in $3 s; see $work"
}
wait_for Keycloak "$kc/realms/jobserver/.well-known/openid-configuration" 300
echo "Keycloak ready after $(($(date +%s) - started)) s"
wait_for Jobserver "http://localhost:$PORT/api/jobserver/v1/auth" 300
echo "Jobserver ready after $(($(date +%s) - started)) s"
# the launcher prints a short banner; the server's own log is in the data directory
{ grep -h 'Single sign-on:' "$work/jobserver/data/logs/server.log" || true; } | sed 's/.*\] //' | head -1

# ---------------------------------------------------------------------------------------------
api="http://localhost:$PORT"
# token REALM CLIENT USER: an access token by the password grant
token() {
  curl -s "$kc/realms/$1/protocol/openid-connect/token" -d grant_type=password -d client_id="$2" \
    -d username="$3" -d password="$password" -d scope=openid | jq -r '.access_token // empty'
}
claims() { # the token's payload as JSON
  local p
  p=$(cut -d. -f2 <<< "$1" | tr '_-' '/+')
  while [ $((${#p} % 4)) != 0 ]; do p="$p="; done
  base64 -d <<< "$p"
}
kid() {
  local h
  h=$(cut -d. -f1 <<< "$1" | tr '_-' '/+')
  while [ $((${#h} % 4)) != 0 ]; do h="$h="; done
  base64 -d <<< "$h" | jq -r .kid
}
status() { # METHOD PATH TOKEN: the HTTP status
  local body=()
  [ "$1 ${2%%\?*}" = "POST /api/v4/jobs" ] && body=(-H 'Content-Type: application/json' -d '{"type":"noop"}')
  curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" "${body[@]}" "$api$2"
}

# Each user's allowed and refused routes, by API. The native API (/api/jobserver/v1) adds its
# lines here, with its own word, and that word to APIS.
APIS=${APIS:-"v4 v1"}
ROUTES="
alice v4 GET  /api/v4/jobs              200
alice v4 POST /api/v4/jobs              201
alice v1 GET  /api/v1/jobs              403
alice v1 POST /api/v1/jobs?task_id=noop 403
olga  v4 GET  /api/v4/jobs              200
olga  v4 POST /api/v4/jobs              201
olga  v1 GET  /api/v1/jobs              403
rita  v4 GET  /api/v4/jobs              200
rita  v4 POST /api/v4/jobs              403
rita  v1 GET  /api/v1/jobs              403
tess  v4 GET  /api/v4/jobs              403
tess  v4 POST /api/v4/jobs              403
tess  v1 GET  /api/v1/jobs              200
tess  v1 POST /api/v1/jobs?task_id=noop 201
nick  v4 GET  /api/v4/jobs              403
nick  v4 POST /api/v4/jobs              403
nick  v1 GET  /api/v1/jobs              403
nick  v1 POST /api/v1/jobs?task_id=noop 403
"
routes() { # CLIENT: every line of ROUTES, with tokens of that client
  local user which method path expected tok
  declare -A tokens=()
  while read -r user which method path expected; do
    [ -n "$user" ] && [[ " $APIS " == *" $which "* ]] || continue
    [ -n "${tokens[$user]:-}" ] || tokens[$user]=$(token jobserver "$1" "$user")
    tok=${tokens[$user]}
    if [ -z "$tok" ]; then bad "$1 $user: no token from Keycloak"; continue; fi
    check "$(printf '%-18s %-5s %-4s %-26s' "$1" "$user" "$method" "$path")" "$expected" "$(status "$method" "$path" "$tok")"
  done <<< "$ROUTES"
}

log "realm roles (realm_access.roles, Keycloak's default) with JOBSERVER_ROLES_CLAIM and JOBSERVER_ROLE_MAP"
t=$(token jobserver jobserver-tests olga)
check "olga's token carries her realm role, not a Jobserver role" '["jobs-operator"]' \
  "$(claims "$t" | jq -c '.realm_access.roles | map(select(. == "jobs-operator" or . == "manage_jobs"))')"
routes jobserver-tests

log "the microprofile-jwt shape: roles in groups, no realm_access"
t=$(token jobserver jobserver-tests-mp alice)
check "alice's token (microprofile-jwt scope alone)" '{"groups":["manage_jobs"],"realm_access":null}' \
  "$(claims "$t" | jq -c '{groups: (.groups | map(select(. == "manage_jobs"))), realm_access}')"
routes jobserver-tests-mp

log "a foreign realm's token"
t=$(token other jobserver-tests mallory)
check "mallory of realm 'other' has manage_jobs there" manage_jobs "$(claims "$t" | jq -r '.realm_access.roles[] | select(. == "manage_jobs")')"
check "mallory GET /api/v4/jobs" 401 "$(status GET /api/v4/jobs "$t")"
check "mallory POST /api/v4/jobs" 401 "$(status POST /api/v4/jobs "$t")"
check "mallory GET /api/v1/jobs" 401 "$(status GET /api/v1/jobs "$t")"

log "the console's sign-in settings and its client (authorization code + PKCE)"
cfg=$(curl -s "$api/api/jobserver/v1/auth")
check "GET /api/jobserver/v1/auth without a token" "{\"issuer\":\"$kc/realms/jobserver\",\"client_id\":\"jobserver-console\"}" "$(jq -c . <<< "$cfg")"
check "the issuer's discovery document names the issuer" "$kc/realms/jobserver" \
  "$(curl -s "$(jq -r .issuer <<< "$cfg")/.well-known/openid-configuration" | jq -r .issuer)"
verifier=$(openssl rand -hex 32)
challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
jar="$work/cookies.txt" && rm -f "$jar"
authorize="$kc/realms/jobserver/protocol/openid-connect/auth?client_id=jobserver-console&response_type=code&scope=openid&state=s1&redirect_uri=$console_url/&code_challenge_method=S256&code_challenge=$challenge"
form=$(curl -s -c "$jar" -b "$jar" "$authorize" | grep -o 'action="[^"]*"' | head -1 | sed 's/^action="//; s/"$//; s/&amp;/\&/g')
location=$(curl -s -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" --data-urlencode username=alice \
  --data-urlencode password="$password" "$form")
code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<< "$location")
check "alice signs in; Keycloak redirects to the console at /" "$console_url/" "${location%%\?*}"
exchange() { # code [verifier]
  curl -s "$kc/realms/jobserver/protocol/openid-connect/token" -d grant_type=authorization_code \
    -d client_id=jobserver-console -d code="$1" -d redirect_uri="$console_url/" ${2:+-d code_verifier="$2"}
}
check "the code without its PKCE verifier is refused" invalid_grant "$(exchange "$code" | jq -r .error)"
# a code is good once, and Keycloak spends it on a refused exchange too: sign in again
location=$(curl -s -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" "$authorize")
code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<< "$location")
t=$(exchange "$code" "$verifier" | jq -r '.access_token // empty')
check "the code with its verifier gives a token" yes "$([ -n "$t" ] && echo yes || echo no)"
check "the console's token: alice GET /api/v4/jobs" 200 "$(status GET /api/v4/jobs "$t")"
check "without PKCE the console client is refused" "Missing parameter: code_challenge_method" \
  "$(curl -s -o /dev/null -w '%{redirect_url}' "${authorize%%&code_challenge_method*}" | sed -n 's/.*error_description=\([^&]*\).*/\1/p' | sed 's/+/ /g; s/%3A/:/g')"

log "a key rotated through Keycloak's admin API"
admin=$(curl -s "$kc/realms/master/protocol/openid-connect/token" -d grant_type=password -d client_id=admin-cli \
  -d username=admin -d password="$admin_password" | jq -r .access_token)
old=$(token jobserver jobserver-tests alice)
check "alice's token before the rotation: GET /api/v4/jobs" 200 "$(status GET /api/v4/jobs "$old")"
realm_id=$(curl -s -H "Authorization: Bearer $admin" "$kc/admin/realms/jobserver" | jq -r .id)
created=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  "$kc/admin/realms/jobserver/components" -d "{\"name\":\"rotated-$(date +%s)\",\"providerId\":\"rsa-generated\",
  \"providerType\":\"org.keycloak.keys.KeyProvider\",\"parentId\":\"$realm_id\",\"config\":{\"priority\":[\"1000\"],
  \"enabled\":[\"true\"],\"active\":[\"true\"],\"algorithm\":[\"RS256\"],\"keySize\":[\"2048\"]}}")
check "a new active RS256 key (admin API, highest priority)" 201 "$created"
new=$(token jobserver jobserver-tests alice)
check "alice's new token is signed with another key" yes "$([ "$(kid "$new")" != "$(kid "$old")" ] && echo yes || echo no)"
rotated=$(date +%s%N)
code=000
while [ $((($(date +%s%N) - rotated) / 1000000)) -lt 15000 ]; do
  code=$(status GET /api/v4/jobs "$new")
  [ "$code" = 200 ] && break
  sleep 0.2
done
took=$((($(date +%s%N) - rotated) / 1000000))
check "alice's token by the new key: GET /api/v4/jobs" 200 "$code"
check "accepted within 10 s of the rotation (took $took ms)" yes "$([ "$took" -lt 10000 ] && echo yes || echo no)"
check "alice's token by the old key (still published)" 200 "$(status GET /api/v4/jobs "$old")"

log "done in $(($(date +%s) - started)) s"
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
