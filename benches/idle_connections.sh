#!/usr/bin/env bash
# Idle keep-alive connections: what each costs a server in memory, whether
# that memory is given back when they close, and whether the server still
# serves at full speed beside them. For Trellis (the demo, `trellis
# serve`), raw actix-web (benches/raw_actix.rs: what actix-http itself
# costs) and nginx if installed; one worker each, on core 0. The idle
# connections (benches/idle_connections.rs, one GET answered on each, then
# quiet) and the load (`trellis bench -c 32`) come from core 1.
#
#   benches/idle_connections.sh                     # IDLE=10000 connections
#   IDLE=5000 SERVERS="trellis raw" benches/idle_connections.sh
#   SERVER_ENV="MALLOC_ARENA_MAX=1" benches/idle_connections.sh
#
# Each connection is a file descriptor in the server and one in the holder:
# the script raises `ulimit -n` to IDLE + 1024, which needs a hard limit at
# least that high (`ulimit -Hn`; raise it in /etc/security/limits.conf, or
# run as root). SERVER_ENV is given to every server: glibc's malloc tunables
# (MALLOC_ARENA_MAX, GLIBC_TUNABLES=glibc.malloc.trim_threshold=...) show
# whether memory kept after the connections close is the allocator's.
#
# Per server: resident size (VmRSS) idle after a warm-up, with the
# connections open, and 2 s after they close; the growth per connection
# open and what of it stays; requests/s alone and beside the connections.
set -euo pipefail
cd "$(dirname "$0")/.."

IDLE=${IDLE:-10000}
DURATION=${DURATION:-5s}
SERVERS=${SERVERS:-trellis raw nginx}
SERVER_ENV=${SERVER_ENV:-}
PORT=3911

need=$((IDLE + 1024))
current=$(ulimit -n)
if [ "$current" != unlimited ] && [ "$current" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || {
    echo "ulimit -n $need was refused (hard limit $(ulimit -Hn)): raise it, or lower IDLE" >&2
    exit 1
  }
fi

cargo build --release --quiet --bin trellis-demo --example raw-actix --example idle-connections
BIN=target/release/trellis-demo
RAW=target/release/examples/raw-actix
HOLDER=target/release/examples/idle-connections

scratch=$(mktemp -d)
server_pid=""
holder_pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

wait_for() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
rps() {
  local json
  json=$(taskset -c 1 "$BIN" bench --json -c 32 -d "$DURATION" "$1")
  python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["requests_per_sec"]))' "$json"
}

# start SERVER: starts it on $PORT, pinned to core 0; sets server_pid to the
# process whose memory is measured (nginx: its one worker).
start() {
  case $1 in
    trellis)
      env $SERVER_ENV RUST_LOG=warn TRELLIS_SERVER__KEEP_ALIVE_SECS=600 \
        taskset -c 0 "$BIN" serve --port "$PORT" --workers 1 &
      server_pid=$! ;;
    raw)
      env $SERVER_ENV taskset -c 0 "$RAW" "$PORT" 1 600 &
      server_pid=$! ;;
    nginx)
      mkdir -p "$scratch/nginx"
      cat > "$scratch/nginx/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile $((IDLE + 2048));
daemon off;
pid $scratch/nginx/nginx.pid;
error_log stderr warn;
events { worker_connections $((IDLE + 1024)); }
http {
  access_log off;
  keepalive_timeout 600s;
  keepalive_requests 1000000000;
  server {
    listen 127.0.0.1:$PORT;
    location / { default_type application/json; return 200 '{"message":"Hello World"}'; }
  }
}
CONF
      env $SERVER_ENV taskset -c 0 nginx -e stderr -p "$scratch/nginx" -c "$scratch/nginx/nginx.conf" &
      local master=$!
      wait_for "http://127.0.0.1:$PORT/api/hello"
      server_pid=$(pgrep -P "$master" | head -n1)
      echo "$master" > "$scratch/nginx/master" ;;
  esac
  wait_for "http://127.0.0.1:$PORT/api/hello"
}

stop() {
  local pid=$server_pid
  [ -f "$scratch/nginx/master" ] && pid=$(cat "$scratch/nginx/master") && rm "$scratch/nginx/master"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  server_pid=""
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "$IDLE idle keep-alive connections (one GET answered on each), load: trellis bench -c 32 -d $DURATION /api/hello${SERVER_ENV:+, servers run with $SERVER_ENV}"
printf '%-8s %9s %11s %9s %11s %9s %10s %10s %6s\n' \
  server "idle MiB" "with MiB" "KiB/conn" "after MiB" "kept KiB" "alone rps" "beside rps" ratio
for server in $SERVERS; do
  if [ "$server" = nginx ] && ! command -v nginx >/dev/null; then
    echo "nginx    (not installed: apt-get install nginx-light)"
    continue
  fi
  start "$server"
  url="http://127.0.0.1:$PORT/api/hello"
  taskset -c 1 "$BIN" bench -c 32 -d 2s "$url" >/dev/null
  sleep 1
  idle=$(rss_kib "$server_pid")
  alone=$(rps "$url")

  rm -f "$scratch/holder.in" && mkfifo "$scratch/holder.in"
  taskset -c 1 "$HOLDER" "127.0.0.1:$PORT" "$IDLE" /api/hello < "$scratch/holder.in" > "$scratch/holder.out" &
  holder_pid=$!
  # Held open until closed below: the holder keeps its connections until then.
  exec 3> "$scratch/holder.in"
  until grep -q holding "$scratch/holder.out" 2>/dev/null; do
    kill -0 "$holder_pid" 2>/dev/null || { echo "the holder failed" >&2; exit 1; }
    sleep 0.2
  done
  sleep 1
  with=$(rss_kib "$server_pid")
  beside=$(rps "$url")
  exec 3>&-
  wait "$holder_pid"
  holder_pid=""
  sleep 2
  after=$(rss_kib "$server_pid")
  python3 - "$server" "$IDLE" "$idle" "$with" "$after" "$alone" "$beside" <<'PY'
import sys
server, n = sys.argv[1], int(sys.argv[2])
idle, with_, after, alone, beside = map(float, sys.argv[3:8])
print(f'{server:<8} {idle / 1024:9.1f} {with_ / 1024:11.1f} {(with_ - idle) / n:9.2f} {after / 1024:11.1f} '
      f'{(after - idle) / n:9.2f} {alone:10.0f} {beside:10.0f} {beside / alone:6.2f}')
PY
  stop
done
