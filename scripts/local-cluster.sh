#!/usr/bin/env bash
# A throwaway driftql cluster on this machine, without Docker: a PostgreSQL 15 catalogue, a lake
# folder, N replicas in cluster mode (node dist/src/server.js) and, when nginx is installed, nginx
# balancing them as deploy/nginx.conf does. Everything lives in one temporary folder and runs until
# Ctrl-C or SIGTERM; then every process started here is stopped and the folder removed.
#
#   scripts/local-cluster.sh                       2 replicas on 4001-4002, nginx on 4000
#   scripts/local-cluster.sh --replicas 3 --port 4600 --no-demo
#   scripts/local-cluster.sh --print-env cluster.env &   # for tests and benchmarks: wait until
#                                                        # cluster.env exists, read it, kill %1
#
# Needs: node (and a build: made with `npm run build` when dist/src/server.js is missing),
# PostgreSQL 15 binaries in $PG_BIN (default /usr/lib/postgresql/15/bin; Debian: apt-get install
# postgresql-15), optionally nginx. When run as root, PostgreSQL runs as the `postgres` user.
#
# Environment: PG_BIN as above; CLUSTER_START_TIMEOUT (seconds each replica may take to answer
# /healthz, default 120); any other driftql setting exported here (e.g. DRIFT_RATE_LIMIT=0) reaches
# every replica. The replicas run in their own folders, so a ./.env of the repository is not read.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
START_TIMEOUT="${CLUSTER_START_TIMEOUT:-120}"

REPLICAS=2
PORT=4000
USE_NGINX=1
KEEP=0
SEED_DEMO="${DRIFT_SEED_DEMO:-true}"
BUILD=0
PRINT_ENV=""

usage() {
  cat <<EOF
Usage: scripts/local-cluster.sh [options]

Starts a local driftql cluster (PostgreSQL catalogue, Parquet lake, replicas, nginx) in a
temporary folder and keeps it running until Ctrl-C / SIGTERM, then stops it and removes the folder.

Options:
  --replicas N       number of replicas (default 2)
  --port P           balancer port (default 4000); replicas listen on P+1 .. P+N
  --no-nginx         no balancer: only the replicas, each on its own port
  --no-demo          do not load the demo data into the empty catalogue (DRIFT_SEED_DEMO=false)
  --keep             keep the temporary folder (data, logs) after stopping
  --build            run \`npm run build\` first even when dist/ exists
  --print-env FILE   once everything answers, write DRIFT_CATALOG_URL, DRIFT_LAKE, CLUSTER_URL,
                     REPLICA_URLS (comma-separated), REPLICA_PIDS and CLUSTER_DIR to FILE
                     (KEY=value lines; removed again when the cluster stops)
  -h, --help         this help

Environment: PG_BIN (default /usr/lib/postgresql/15/bin), CLUSTER_START_TIMEOUT (seconds, default 120).
EOF
}

say() { printf '[local-cluster] %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Options

need_value() { # option name, remaining argument count: the option needs a value
  [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas)
      need_value "$1" $#
      REPLICAS="$2"
      shift
      ;;
    --replicas=*) REPLICAS="${1#*=}" ;;
    --port)
      need_value "$1" $#
      PORT="$2"
      shift
      ;;
    --port=*) PORT="${1#*=}" ;;
    --print-env)
      need_value "$1" $#
      PRINT_ENV="$2"
      shift
      ;;
    --print-env=*) PRINT_ENV="${1#*=}" ;;
    --no-nginx) USE_NGINX=0 ;;
    --no-demo) SEED_DEMO=false ;;
    --keep) KEEP=1 ;;
    --build) BUILD=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

if ! [[ "$REPLICAS" =~ ^[0-9]+$ ]] || [ "$REPLICAS" -lt 1 ] || [ "$REPLICAS" -gt 32 ]; then
  die "--replicas must be a number from 1 to 32 (got '$REPLICAS')"
fi
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1024 ] || [ $((PORT + REPLICAS)) -gt 65535 ]; then
  die "--port must be a number from 1024 up, with room for $REPLICAS replica port(s) after it (got '$PORT')"
fi
[[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "CLUSTER_START_TIMEOUT must be a number of seconds"
if [ -n "$PRINT_ENV" ]; then
  case "$PRINT_ENV" in
    /*) ;;
    *) PRINT_ENV="$PWD/$PRINT_ENV" ;;
  esac
  [ -d "$(dirname "$PRINT_ENV")" ] || die "--print-env: no folder $(dirname "$PRINT_ENV")"
  # A file left by an earlier run must not be taken for this cluster being up.
  rm -f "$PRINT_ENV"
fi

NGINX=""
if [ "$USE_NGINX" = 1 ]; then
  NGINX="$(command -v nginx || true)"
  if [ -z "$NGINX" ] && [ -x /usr/sbin/nginx ]; then NGINX=/usr/sbin/nginx; fi
fi

# ---------------------------------------------------------------------------------------------
# Checks before anything starts

command -v node >/dev/null || die "node is not on PATH"
if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
  die "PostgreSQL 15 is not installed at $PG_BIN (on Debian: apt-get install postgresql-15; or set PG_BIN)"
fi
IS_ROOT=0
if [ "$(id -u)" = 0 ]; then
  IS_ROOT=1
  id postgres >/dev/null 2>&1 || die "running as root, PostgreSQL must run as the 'postgres' user, and there is none"
  command -v runuser >/dev/null || die "running as root, runuser is needed to run PostgreSQL as 'postgres'"
fi

# True when something accepts connections on 127.0.0.1:$1.
port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
first_port=$((PORT + 1))
if [ -n "$NGINX" ]; then first_port=$PORT; fi
for ((p = first_port; p <= PORT + REPLICAS; p++)); do
  if port_busy "$p"; then die "port $p is in use; choose other ports with --port"; fi
done

if [ "$BUILD" = 1 ] || [ ! -f "$ROOT/dist/src/server.js" ]; then
  say "building (npm run build)"
  (cd "$ROOT" && npm run build) >&2
fi

# ---------------------------------------------------------------------------------------------
# Stopping: whatever has started by the time the script ends, however it ends.

WORK=""
PG_STARTED=0
NGINX_PID=""
declare -a REPLICA_PIDS=()

# SIGTERM to processes $2... (children of this script) at once; those still running after $1
# seconds get SIGKILL.
stop_processes() {
  local grace="$1" deadline pid alive
  shift
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null; done
  deadline=$((SECONDS + grace))
  while :; do
    alive=()
    for pid in "$@"; do
      if kill -0 "$pid" 2>/dev/null; then alive+=("$pid"); fi
    done
    [ "${#alive[@]}" -gt 0 ] || break
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "pid(s) ${alive[*]} did not stop within ${grace}s after SIGTERM: killing them"
      kill -KILL "${alive[@]}" 2>/dev/null
      break
    fi
    sleep 0.2
  done
  for pid in "$@"; do wait "$pid" 2>/dev/null; done
  return 0
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e
  if [ -n "$PRINT_ENV" ]; then rm -f "$PRINT_ENV"; fi
  if [ -n "$NGINX_PID" ]; then
    say "stopping nginx"
    stop_processes 10 "$NGINX_PID"
  fi
  if [ "${#REPLICA_PIDS[@]}" -gt 0 ]; then
    say "stopping ${#REPLICA_PIDS[@]} replica(s)"
    stop_processes 20 "${REPLICA_PIDS[@]}"
  fi
  if [ "$PG_STARTED" = 1 ] && [ -f "$WORK/pg/postmaster.pid" ]; then
    say "stopping PostgreSQL"
    as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w -t 30 stop >/dev/null ||
      say "pg_ctl stop failed; see $WORK/pg.log"
  fi
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "$KEEP" = 1 ]; then
      say "kept $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Runs a PostgreSQL program as the user PostgreSQL runs as (initdb and pg_ctl refuse root).
as_pg() {
  if [ "$IS_ROOT" = 1 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Whether $1/healthz answers 200.
healthy() {
  local code
  if command -v curl >/dev/null; then
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1/healthz" || true)"
    [ "$code" = 200 ]
  else
    node -e 'fetch(process.argv[1] + "/healthz", { signal: AbortSignal.timeout(3000) })
      .then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$1"
  fi
}

show_log() { # file, lines
  if [ -f "$1" ]; then
    say "the last lines of $1:"
    tail -n "${2:-40}" "$1" | sed 's/^/    /' >&2
  fi
}

# Waits until $3/healthz answers 200; fails (showing the log) when process $2 ends first or
# $5 seconds pass.
wait_healthy() {
  local name="$1" pid="$2" url="$3" log="$4" timeout="$5" status=0
  local deadline=$((SECONDS + timeout))
  until healthy "$url"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || status=$?
      say "$name exited (status $status) before answering $url/healthz"
      show_log "$log"
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "$name did not answer $url/healthz with 200 within ${timeout}s"
      show_log "$log"
      exit 1
    fi
    sleep 0.5
  done
}

# A TCP port on 127.0.0.1 free at this moment, outside the balancer's and replicas' ports.
free_port() {
  local p i
  for ((i = 0; i < 10; i++)); do
    p="$(node -e 'const s = require("node:net").createServer();
      s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
    if [ "$p" -lt "$PORT" ] || [ "$p" -gt $((PORT + REPLICAS)) ]; then
      echo "$p"
      return 0
    fi
  done
  die "found no free port for PostgreSQL"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: the catalogue

WORK="$(mktemp -d "${TMPDIR:-/tmp}/driftql-cluster.XXXXXX")"
say "folder $WORK"
if [ "$IS_ROOT" = 1 ]; then chown postgres "$WORK"; fi

PG_PORT="$(free_port)"
say "PostgreSQL: initdb and start on 127.0.0.1:$PG_PORT"
if ! as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U driftql --auth=trust --no-sync >"$WORK/initdb.log" 2>&1; then
  show_log "$WORK/initdb.log"
  die "initdb failed"
fi
# Loopback only, and the Unix socket in the folder rather than in /var/run/postgresql.
# (Marked started first: a start that times out may still leave a postmaster to stop.)
PG_STARTED=1
if ! as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -t 60 \
  -o "-p $PG_PORT -k '$WORK' -c listen_addresses=127.0.0.1" start >/dev/null; then
  show_log "$WORK/pg.log"
  die "PostgreSQL did not start"
fi
CATALOG_URL="postgres://driftql@127.0.0.1:$PG_PORT/postgres"

# ---------------------------------------------------------------------------------------------
# Replicas

LAKE="$WORK/lake"
mkdir -p "$LAKE"

replica_url() { echo "http://127.0.0.1:$((PORT + $1))"; }

start_replica() {
  local i="$1"
  mkdir -p "$WORK/uploads-$i" "$WORK/replica-$i"
  # Its own working folder (no ./.env, nothing relative shared with the others) and its own
  # session (setsid), so a Ctrl-C in the terminal reaches this script only, which then stops
  # the replicas before PostgreSQL. setsid execs node: $! is node's pid.
  (
    cd "$WORK/replica-$i"
    NODE_ENV="${NODE_ENV:-production}" \
      UV_THREADPOOL_SIZE="${UV_THREADPOOL_SIZE:-8}" \
      DRIFT_CATALOG_URL="$CATALOG_URL" \
      DRIFT_LAKE="$LAKE" \
      DRIFT_UPLOAD_DIR="$WORK/uploads-$i" \
      DRIFT_SEED_DEMO="$SEED_DEMO" \
      HOST=127.0.0.1 \
      PORT="$((PORT + i))" \
      DRIFT_TRUST_PROXY="${DRIFT_TRUST_PROXY:-loopback}" \
      exec setsid node "$ROOT/dist/src/server.js"
  ) </dev/null >"$WORK/replica-$i.log" 2>&1 &
  REPLICA_PIDS[i - 1]=$!
}

# Replica 1 first: it migrates the catalogue and, when it is empty, loads the demo data.
say "replica 1: starting on $(replica_url 1) (log $WORK/replica-1.log)"
start_replica 1
wait_healthy "replica 1" "${REPLICA_PIDS[0]}" "$(replica_url 1)" "$WORK/replica-1.log" "$START_TIMEOUT"
if [ "$REPLICAS" -gt 1 ]; then
  say "replicas 2-$REPLICAS: starting"
  for ((i = 2; i <= REPLICAS; i++)); do start_replica "$i"; done
  for ((i = 2; i <= REPLICAS; i++)); do
    wait_healthy "replica $i" "${REPLICA_PIDS[i - 1]}" "$(replica_url "$i")" "$WORK/replica-$i.log" "$START_TIMEOUT"
  done
fi

# ---------------------------------------------------------------------------------------------
# nginx: the balancer (the settings of deploy/nginx.conf, with local addresses and paths)

write_nginx_conf() {
  local i servers="" user=""
  for ((i = 1; i <= REPLICAS; i++)); do
    servers+="        server 127.0.0.1:$((PORT + i)) max_fails=2 fail_timeout=10s;"$'\n'
  done
  # As root, workers would run as `nobody` and could not write the temporary folders in $WORK.
  if [ "$IS_ROOT" = 1 ]; then user="user root;"; fi
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx.conf" <<EOF
# Written by scripts/local-cluster.sh; the settings of deploy/nginx.conf for this local cluster.
$user
worker_processes 2;
error_log $WORK/nginx-error.log warn;
pid $WORK/nginx.pid;

events {
    worker_connections 1024;
}

http {
    default_type application/octet-stream;
    log_format upstream '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                        'upstream=\$upstream_addr upstream_status=\$upstream_status '
                        'rt=\$request_time urt=\$upstream_response_time';
    access_log $WORK/nginx-access.log upstream;

    # Everything nginx writes stays in the cluster's folder.
    client_body_temp_path $WORK/nginx/client_body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;

    sendfile on;
    tcp_nodelay on;
    server_tokens off;
    keepalive_timeout 65s;

    map \$http_host \$forwarded_host {
        ""      \$host;
        default \$http_host;
    }

    upstream driftql {
        least_conn;
$servers        keepalive 32;
        keepalive_timeout 4s;
    }

    server {
        listen 127.0.0.1:$PORT;
        server_name _;

        client_max_body_size 8m;
        client_body_buffer_size 1m;

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$forwarded_host;
        proxy_set_header X-Real-IP \$remote_addr;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_set_header X-Forwarded-Host \$forwarded_host;

        # Idempotent requests only (nginx never retries POST without non_idempotent).
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_timeout 15s;
        proxy_connect_timeout 5s;
        proxy_send_timeout 60s;
        proxy_read_timeout 120s;

        location / {
            proxy_pass http://driftql;
        }

        location = /healthz {
            proxy_pass http://driftql;
            proxy_read_timeout 10s;
            access_log off;
        }

        location /api/v1/bundles {
            proxy_pass http://driftql;
            client_max_body_size 2g;
            proxy_request_buffering off;
            client_body_timeout 300s;
            proxy_send_timeout 300s;
            proxy_read_timeout 600s;
        }

        location /api/v1/jobs/ {
            proxy_pass http://driftql;
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }

        location /api/v1/export/ {
            proxy_pass http://driftql;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
}
EOF
}

CLUSTER_URL=""
if [ -n "$NGINX" ]; then
  write_nginx_conf
  # -e: the error log from the very start (nginx >= 1.19.5), not the system's /var/log/nginx.
  nginx_args=(-c "$WORK/nginx.conf" -p "$WORK")
  if "$NGINX" -h 2>&1 | grep -q -- '-e filename'; then nginx_args+=(-e "$WORK/nginx-error.log"); fi
  if ! "$NGINX" -t -q "${nginx_args[@]}" 2>"$WORK/nginx-test.log"; then
    show_log "$WORK/nginx-test.log"
    die "nginx refused the configuration $WORK/nginx.conf"
  fi
  say "nginx: starting on http://127.0.0.1:$PORT"
  setsid "$NGINX" "${nginx_args[@]}" -g 'daemon off;' </dev/null >>"$WORK/nginx-error.log" 2>&1 &
  NGINX_PID=$!
  wait_healthy "nginx" "$NGINX_PID" "http://127.0.0.1:$PORT" "$WORK/nginx-error.log" 30
  CLUSTER_URL="http://127.0.0.1:$PORT"
elif [ "$USE_NGINX" = 1 ]; then
  say "nginx is not installed (apt-get install nginx): no balancer, only the replicas"
fi

# ---------------------------------------------------------------------------------------------
# Up: tell how to use it

replica_urls=()
for ((i = 1; i <= REPLICAS; i++)); do replica_urls+=("$(replica_url "$i")"); done
joined_urls="$(IFS=,; echo "${replica_urls[*]}")"
joined_pids="$(IFS=,; echo "${REPLICA_PIDS[*]}")"
server_url="${CLUSTER_URL:+http://localhost:$PORT}"
server_url="${server_url:-${replica_urls[0]}}"

if [ -n "$CLUSTER_URL" ]; then
  balancer_line="http://localhost:$PORT  (nginx; GraphiQL at /graphql)"
  log_line="$WORK/replica-<n>.log, $WORK/pg.log, $WORK/nginx-access.log, $WORK/nginx-error.log"
else
  if [ "$USE_NGINX" = 1 ]; then why="nginx is not installed"; else why="--no-nginx"; fi
  balancer_line="NONE ($why): call the replicas directly"
  log_line="$WORK/replica-<n>.log, $WORK/pg.log"
fi
if [ "$KEEP" = 1 ]; then fate="keeps"; else fate="deletes"; fi
{
  echo
  echo "driftql local cluster: $REPLICAS replica(s) in cluster mode"
  echo "  balancer   $balancer_line"
  for ((i = 1; i <= REPLICAS; i++)); do
    echo "  replica $i  ${replica_urls[i - 1]}  (pid ${REPLICA_PIDS[i - 1]})"
  done
  echo "  catalogue  $CATALOG_URL"
  echo "  lake       $LAKE"
  echo "  logs       $log_line"
  echo
  echo "Create an API key (the CLI uses the catalogue when these two are set), in $ROOT:"
  echo "  DRIFT_CATALOG_URL=$CATALOG_URL DRIFT_LAKE=$LAKE npx driftql keys create --lab <lab> --role writer"
  echo "Push a bundle:"
  echo "  npx driftql push <bundle-dir> --server $server_url --token <key>"
  echo
  echo "Ctrl-C stops the cluster and $fate $WORK"
}

if [ -n "$PRINT_ENV" ]; then
  # Written whole, then moved into place: whoever waits for the file never reads half of it.
  {
    [ -n "$CLUSTER_URL" ] || echo "# no balancer: CLUSTER_URL is replica 1"
    echo "DRIFT_CATALOG_URL=$CATALOG_URL"
    echo "DRIFT_LAKE=$LAKE"
    echo "CLUSTER_URL=${CLUSTER_URL:-${replica_urls[0]}}"
    echo "REPLICA_URLS=$joined_urls"
    echo "REPLICA_PIDS=$joined_pids"
    echo "CLUSTER_DIR=$WORK"
  } >"$PRINT_ENV.tmp.$$"
  mv "$PRINT_ENV.tmp.$$" "$PRINT_ENV"
  say "wrote $PRINT_ENV"
fi

# ---------------------------------------------------------------------------------------------
# Running: report a process that ends (a replica killed on purpose in a failover test is fine:
# the others and the balancer carry on) and wait for Ctrl-C / SIGTERM.

gone=() # index 0: nginx, i: replica i
while :; do
  for ((i = 1; i <= REPLICAS; i++)); do
    pid="${REPLICA_PIDS[i - 1]}"
    if [ -z "${gone[i]:-}" ] && ! kill -0 "$pid" 2>/dev/null; then
      gone[i]=1
      say "replica $i (pid $pid) has exited; the others carry on"
      show_log "$WORK/replica-$i.log" 15
    fi
  done
  if [ -n "$NGINX_PID" ] && [ -z "${gone[0]:-}" ] && ! kill -0 "$NGINX_PID" 2>/dev/null; then
    gone[0]=1
    say "nginx (pid $NGINX_PID) has exited: no balancer any more"
    show_log "$WORK/nginx-error.log" 15
  fi
  # In the background so that a signal is handled at once rather than after the sleep.
  sleep 2 &
  wait $! || true
done
