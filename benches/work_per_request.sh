#!/usr/bin/env bash
# The work a server does per request, in units a shared machine does not
# blur: user-space instructions (callgrind) and system calls (strace -c),
# for Trellis (the demo, one worker), raw actix-web (benches/raw_actix.rs)
# and the floor (benches/floor.rs, raw epoll), on the same paths.
#
#   benches/work_per_request.sh                       # /dashboard/1 and /posts
#   PATHS="/api/hello" SERVERS="trellis raw" benches/work_per_request.sh
#
# Needs valgrind and strace. Each server is warmed with 2,000 requests, its
# counters zeroed, then sent N (10,000; 5,000 under strace) over 8
# connections. Trellis reads the demo's trellis.toml, so that both servers
# send the same answers (raw actix-web adds its `x-frame-options` by
# middleware). Callgrind counts a `rep stosb` byte by byte: actix-http
# zeroes 6 KiB with it per request, raw actix-web and Trellis alike.
set -euo pipefail
cd "$(dirname "$0")/.."

PATHS=${PATHS:-/dashboard/1 /posts}
SERVERS=${SERVERS:-trellis raw floor}
N=${N:-10000}
PORT=${PORT:-3990}

cargo build --release --quiet --bin trellis-demo --example raw-actix --example floor
ROOT=$(pwd)
BIN="$ROOT/target/release"
LOAD="$BIN/trellis-demo"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp trellis.toml "$WORK/"
cd "$WORK"

# Starts SERVER under the command given after it; its pid in $pid.
start() {
  local server=$1 tool=("${@:2}") command
  case $server in
    trellis) command=("$BIN/trellis-demo" serve --port "$PORT" --workers 1) ;;
    raw) command=("$BIN/examples/raw-actix" "$PORT" 1) ;;
    floor) command=("$BIN/examples/floor" "$PORT") ;;
  esac
  RUST_LOG=warn "${tool[@]}" "${command[@]}" >/dev/null 2>"$WORK/server.log" &
  pid=$!
}

ready() {
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$PORT$1" >/dev/null 2>&1 && return
    sleep 0.2
  done
  echo "server did not answer $1" >&2
  exit 1
}

load() {
  "$LOAD" bench -c 8 -n "$2" "http://127.0.0.1:$PORT$1" >/dev/null 2>&1
}

printf '%-8s %-14s %14s %10s\n' server path instructions syscalls
for path in $PATHS; do
  for server in $SERVERS; do
    rm -f "$WORK"/cg.out*
    start "$server" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out"
    ready "$path"
    load "$path" 2000
    callgrind_control -z "$pid" >/dev/null 2>&1
    load "$path" "$N"
    callgrind_control -d "$pid" >/dev/null 2>&1
    sleep 1
    kill "$pid"; wait "$pid" 2>/dev/null || true
    total=$(grep -h '^summary:' "$WORK"/cg.out.* | awk '{s += $2} END {print s}')

    start "$server" env
    ready "$path"
    load "$path" 2000
    strace -f -c -o "$WORK/strace.txt" -p "$pid" 2>/dev/null &
    tracer=$!
    sleep 1
    load "$path" $((N / 2))
    sleep 0.5
    kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
    calls=$(awk '$NF == "total" {print $4}' "$WORK/strace.txt")

    printf '%-8s %-14s %14d %10.2f\n' "$server" "$path" $((total / N)) \
      "$(echo "$calls / ($N / 2)" | bc -l)"
  done
done
