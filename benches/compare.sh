#!/usr/bin/env bash
# Trellis against a raw actix-web server doing the same work, and both
# against the machine's floor (benches/floor.rs: one thread answering fixed
# bytes on raw epoll), side by side in one run. Each server gets core 0 and
# one worker; the load generator (`trellis bench`) gets core 1. For each
# path: requests/s, p99, and each server's CPU time per request (utime +
# stime from /proc over the run, divided by the requests served), and the
# ratios. The whole round runs twice so the noise is visible, and the rounds
# run for each count in CONNECTIONS. Within a round, each path is measured
# in SLICES alternating slices (floor, raw, Trellis, floor, raw, ...), so
# that the machine's drift over seconds falls on all three alike. Then wrk
# and `trellis bench` load the same Trellis path, if wrk is installed, and
# Trellis is set against itself: compressed and counted hits against plain
# ones, and (benches/proxied.rs) a route behind a proxy returning next() or
# reached through a rewrite against the same route without either.
#
#   benches/compare.sh     # SLICES=6 of DURATION=1s each, CONNECTIONS="32 64"
#   PATHS="hello posts" CONNECTIONS=32 benches/compare.sh    # only those
#
# The columns: `rps x` is Trellis's requests/s over raw's, `p99 x` its p99
# over raw's, `eff x` raw's CPU per request over Trellis's (so above 1
# favours Trellis in all but p99 x), `/floor` Trellis's CPU per request over
# the floor's. `target` checks the issue's marks: a dynamic row wants rps x
# and eff x of at least 0.90; a cache hit wants /floor of at most 1.25.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-1s}
SLICES=${SLICES:-6}
CONNECTIONS=${CONNECTIONS:-32 64}
PATHS=${PATHS:-hello hello+hop dashboard items blog posts hit-bytes 1mib}
RAW_PORT=3901
TRELLIS_PORT=3902
FLOOR_PORT=3903
BIG_PORT=3904
UNCOUNTED_PORT=3905
PROXIED_PORT=3906

cargo build --release --quiet --bin trellis-demo --example raw-actix --example floor --example cached-body --example trellis-proxied
BIN=target/release/trellis-demo
RAW=target/release/examples/raw-actix
FLOOR=target/release/examples/floor
BIG=target/release/examples/cached-body
PROXIED=target/release/examples/trellis-proxied

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

taskset -c 0 "$RAW" "$RAW_PORT" 1 & pids+=($!); RAW_PID=$!
RUST_LOG=warn TRELLIS_CACHE__TICK_MS=1000 taskset -c 0 "$BIN" serve --port "$TRELLIS_PORT" --workers 1 & pids+=($!); TRELLIS_PID=$!
taskset -c 0 "$FLOOR" "$FLOOR_PORT" & pids+=($!); FLOOR_PID=$!
RUST_LOG=warn TRELLIS_CACHE__TICK_MS=1000 taskset -c 0 "$BIG" "$BIG_PORT" >/dev/null & pids+=($!); BIG_PID=$!
# The same demo counting no request metrics, for the `counting` row.
RUST_LOG=warn TRELLIS_CACHE__TICK_MS=1000 TRELLIS_ADMIN__METRICS=false taskset -c 0 "$BIN" serve --port "$UNCOUNTED_PORT" --workers 1 & pids+=($!); UNCOUNTED_PID=$!
# /api/hello plain, behind a proxy and through a rewrite, for the last rows.
RUST_LOG=warn taskset -c 0 "$PROXIED" "$PROXIED_PORT" 1 & pids+=($!); PROXIED_PID=$!
wait_for "http://127.0.0.1:$RAW_PORT/api/hello"
wait_for "http://127.0.0.1:$TRELLIS_PORT/api/hello"
wait_for "http://127.0.0.1:$FLOOR_PORT/posts"
wait_for "http://127.0.0.1:$BIG_PORT/big"
wait_for "http://127.0.0.1:$UNCOUNTED_PORT/api/hello"
wait_for "http://127.0.0.1:$PROXIED_PORT/api/hello"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
ticks_per_sec=$(getconf CLK_TCK)

# slice PID URL CONNECTIONS [bench args...] -> "requests seconds p99_ms cpu_seconds"
slice() {
  local pid=$1 url=$2 connections=$3; shift 3
  local before after json
  before=$(cpu_ticks "$pid")
  json=$(taskset -c 1 "$BIN" bench --json -c "$connections" -d "$DURATION" "$@" "$url")
  after=$(cpu_ticks "$pid")
  python3 - "$json" "$before" "$after" "$ticks_per_sec" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); before, after, hz = map(float, sys.argv[2:5])
seconds = d["requests"] / max(d["requests_per_sec"], 1e-9)
print(f'{d["requests"]} {seconds:.4f} {d["latency_ms"]["p99"]:.3f} {(after - before) / hz:.4f}')
PY
}

# summarize NAME "A slices" "B slices" -> one row: A's figures, B's, and B / A
summarize() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
def total(text):
    v = list(map(float, text.split()))
    requests, seconds, p99s, cpu = v[0::4], v[1::4], v[2::4], v[3::4]
    n = sum(requests)
    # rps over all slices; p99 as the median slice's; CPU per request served
    return n / sum(seconds), sorted(p99s)[len(p99s) // 2], sum(cpu) * 1e6 / max(n, 1)
name = sys.argv[1]
(r_rps, r_p99, r_cpu), (t_rps, t_p99, t_cpu) = total(sys.argv[2]), total(sys.argv[3])
print(f'{name:<10} {r_rps:12.0f} {r_p99:9.3f} {r_cpu:9.2f} | {t_rps:12.0f} {t_p99:9.3f} {t_cpu:9.2f} | '
      f'{t_rps / r_rps:7.2f} {t_p99 / r_p99:7.2f} {t_cpu / r_cpu:7.2f}')
PY
}

ITEM='{"name":"widget","qty":2}'
declare -A RAW_PATH=( [hello]=/api/hello [hello+hop]=/api/hello-via-actor [dashboard]=/dashboard/1 [items]=/items [blog]=/api/blog [posts]=/api/hello [hit-bytes]=/posts [1mib]=/big )
declare -A TRELLIS_PATH=( [hello]=/api/hello [hello+hop]=/api/hello [dashboard]=/dashboard/1 [items]=/items [blog]=/api/blog [posts]=/posts [hit-bytes]=/posts [1mib]=/big )
# The floor answers fixed bytes whatever it is asked; /big gets 1 MiB.
declare -A FLOOR_PATH=( [hello]=/posts [hello+hop]=/posts [dashboard]=/posts [items]=/posts [blog]=/posts [posts]=/posts [hit-bytes]=/posts [1mib]=/big )
# Which mark a row is held to: dynamic rows against raw, hits against the floor.
declare -A KIND=( [hello]=dynamic [hello+hop]=dynamic [dashboard]=dynamic [items]=dynamic [blog]=dynamic [posts]=hit [hit-bytes]=hit [1mib]=hit )

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load: trellis bench, $SLICES alternating slices of $DURATION per server and path, servers on core 0 (1 worker), load on core 1"
echo "(posts: Trellis serves /posts from its cache; raw answers /api/hello, the cheapest handler)"
echo "(hello+hop: raw answers /api/hello behind one message to an actor on its thread, as Trellis does)"
echo "(hit-bytes: raw answers with the very bytes of a Trellis /posts hit, fixed, against that hit)"
echo "(blog: Trellis's dynamic /api/blog takes its upstream's answer from the data cache; raw does the route's own work with that answer looked up in a map in memory)"
echo "(1mib: a cached 1 MiB body: Trellis from its cache (examples/cached-body), raw from memory, the floor from memory)"
echo "(floor: one thread on raw epoll answering the bytes of a /posts hit, or 1 MiB for 1mib, to a GET of the same)"
for connections in $CONNECTIONS; do
  for round in 1 2; do
    echo
    echo "$connections connections, round $round"
    printf '%-10s %10s %7s | %10s %8s %7s | %11s %8s %7s | %6s %6s %6s %6s  %s\n' \
      path "floor rps" "cpu us" "raw rps" "p99 ms" "cpu us" "trellis rps" "p99 ms" "cpu us" "rps x" "p99 x" "eff x" "/floor" target
    for name in $PATHS; do
      args=()
      [ "$name" = items ] && args=(-m POST -H 'content-type: application/json' --body "$ITEM")
      trellis_pid=$TRELLIS_PID trellis_port=$TRELLIS_PORT
      [ "$name" = 1mib ] && trellis_pid=$BIG_PID trellis_port=$BIG_PORT
      floor_slices=() raw_slices=() trellis_slices=()
      for _ in $(seq "$SLICES"); do
        floor_slices+=("$(slice "$FLOOR_PID" "http://127.0.0.1:$FLOOR_PORT${FLOOR_PATH[$name]}" "$connections")")
        raw_slices+=("$(slice "$RAW_PID" "http://127.0.0.1:$RAW_PORT${RAW_PATH[$name]}" "$connections" "${args[@]}")")
        trellis_slices+=("$(slice "$trellis_pid" "http://127.0.0.1:$trellis_port${TRELLIS_PATH[$name]}" "$connections" "${args[@]}")")
      done
      python3 - "$name" "${KIND[$name]}" "${floor_slices[*]}" "${raw_slices[*]}" "${trellis_slices[*]}" <<'PY'
import sys
def total(text):
    v = list(map(float, text.split()))
    requests, seconds, p99s, cpu = v[0::4], v[1::4], v[2::4], v[3::4]
    n = sum(requests)
    # rps over all slices; p99 as the median slice's; CPU per request served
    return n / sum(seconds), sorted(p99s)[len(p99s) // 2], sum(cpu) * 1e6 / max(n, 1)
name, kind = sys.argv[1:3]
(f_rps, _, f_cpu), (r_rps, r_p99, r_cpu), (t_rps, t_p99, t_cpu) = map(total, sys.argv[3:6])
rps_x, p99_x, eff_x, floor_x = t_rps / r_rps, t_p99 / r_p99, r_cpu / t_cpu, t_cpu / f_cpu
met = rps_x >= 0.90 and eff_x >= 0.90 if kind == 'dynamic' else floor_x <= 1.25
print(f'{name:<10} {f_rps:10.0f} {f_cpu:7.2f} | {r_rps:10.0f} {r_p99:8.3f} {r_cpu:7.2f} | {t_rps:11.0f} {t_p99:8.3f} {t_cpu:7.2f} | '
      f'{rps_x:6.2f} {p99_x:6.2f} {eff_x:6.2f} {floor_x:6.2f}  {"ok" if met else "MISS"} ({kind})')
PY
    done
    echo "resident size: trellis $(( $(rss_kib "$TRELLIS_PID") / 1024 )) MiB, raw $(( $(rss_kib "$RAW_PID") / 1024 )) MiB, floor $(( $(rss_kib "$FLOOR_PID") / 1024 )) MiB"
  done
done

if command -v wrk >/dev/null; then
  connections=${CONNECTIONS%% *}
  echo
  echo "load generators on the same Trellis path (/api/hello), same core, $connections connections, $SLICES alternating slices each"
  for round in 1 2; do
    wrk_rps=() bench_rps=()
    for _ in $(seq "$SLICES"); do
      wrk_rps+=("$(taskset -c 1 wrk -t1 -c "$connections" -d "$DURATION" "http://127.0.0.1:$TRELLIS_PORT/api/hello" | awk '/Requests\/sec/ {print $2}')")
      # Read once the run is over: a parser piped in would start beside it.
      json=$(taskset -c 1 "$BIN" bench --json -c "$connections" -d "$DURATION" "http://127.0.0.1:$TRELLIS_PORT/api/hello")
      bench_rps+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests_per_sec"])' "$json")")
    done
    python3 - "$round" "${wrk_rps[*]}" "${bench_rps[*]}" <<'PY'
import sys
wrk, bench = (sum(map(float, v.split())) / len(v.split()) for v in sys.argv[2:4])
print(f'round {sys.argv[1]}: wrk {wrk:.0f}/s, trellis bench {bench:.0f}/s, ratio {bench / wrk:.2f}')
PY
  done
fi

# pair NAME PID_A URL_A PID_B URL_B [bench args for B...] -> one row, B / A
pair() {
  local name=$1 pid_a=$2 url_a=$3 pid_b=$4 url_b=$5
  shift 5
  local a_slices=() b_slices=()
  local connections=${CONNECTIONS%% *}
  for _ in $(seq "$SLICES"); do
    a_slices+=("$(slice "$pid_a" "$url_a" "$connections")")
    b_slices+=("$(slice "$pid_b" "$url_b" "$connections" "$@")")
  done
  summarize "$name" "${a_slices[*]}" "${b_slices[*]}"
}

TRELLIS="http://127.0.0.1:$TRELLIS_PORT"
PROXIED="http://127.0.0.1:$PROXIED_PORT"
echo
echo "Trellis against itself, $SLICES alternating slices each (A | B | B / A):"
echo "(posts gzip, big gzip: A plain hits, B the same hits with accept-encoding: gzip, br; big is 10 KB, sent brotli)"
echo "(counting: A /posts on an instance with [admin] metrics = false, B /posts counted)"
echo "(proxy-next, rewrite: A /api/hello outside a proxy's matcher, B the same route behind a proxy returning next(), or behind a beforeFiles rewrite; the goal for proxy-next is rps x of 0.90 or more)"
for round in 1 2; do
  echo
  echo "round $round"
  printf '%-10s %12s %9s %9s | %12s %9s %9s | %7s %7s %7s\n' row "A rps" "p99 ms" "cpu us" "B rps" "p99 ms" "cpu us" "rps x" "p99 x" "cpu x"
  pair "posts gzip" "$TRELLIS_PID" "$TRELLIS/posts" "$TRELLIS_PID" "$TRELLIS/posts" -H 'accept-encoding: gzip, br'
  pair "big gzip" "$TRELLIS_PID" "$TRELLIS/api/big" "$TRELLIS_PID" "$TRELLIS/api/big" -H 'accept-encoding: gzip, br'
  pair "counting" "$UNCOUNTED_PID" "http://127.0.0.1:$UNCOUNTED_PORT/posts" "$TRELLIS_PID" "$TRELLIS/posts"
  pair "proxy-next" "$PROXIED_PID" "$PROXIED/api/hello" "$PROXIED_PID" "$PROXIED/behind/hello"
  pair "rewrite" "$PROXIED_PID" "$PROXIED/api/hello" "$PROXIED_PID" "$PROXIED/rewritten/hello"
done
