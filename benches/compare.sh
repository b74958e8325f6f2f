#!/usr/bin/env bash
# Trellis against a raw actix-web server doing the same work, side by side in
# one run. Each server gets core 0 and one worker; the load generator
# (`trellis bench`) gets core 1. For each path: requests/s, p99, and the
# server's CPU time per request (utime + stime from /proc over the run,
# divided by the requests served), and the ratios Trellis / raw. The whole
# round runs twice so the noise is visible. Within a round, each path is
# measured in SLICES alternating slices (raw, Trellis, raw, Trellis, ...), so
# that the machine's drift over seconds falls on both servers alike. Then
# wrk and `trellis bench` load the same Trellis path, if wrk is installed.
#
#   benches/compare.sh     # SLICES=6 of DURATION=1s each, CONNECTIONS=32
#   PATHS="hello posts" benches/compare.sh    # only those rows
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-1s}
SLICES=${SLICES:-6}
CONNECTIONS=${CONNECTIONS:-32}
PATHS=${PATHS:-hello hello+hop dashboard posts hit-bytes items}
RAW_PORT=3901
TRELLIS_PORT=3902

cargo build --release --quiet --bin trellis --example raw-actix
BIN=target/release/trellis
RAW=target/release/examples/raw-actix

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for() { for _ in $(seq 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

taskset -c 0 "$RAW" "$RAW_PORT" 1 & pids+=($!); RAW_PID=$!
RUST_LOG=warn TRELLIS_CACHE__TICK_MS=1000 taskset -c 0 "$BIN" serve --port "$TRELLIS_PORT" --workers 1 & pids+=($!); TRELLIS_PID=$!
wait_for "http://127.0.0.1:$RAW_PORT/api/hello"
wait_for "http://127.0.0.1:$TRELLIS_PORT/api/hello"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
ticks_per_sec=$(getconf CLK_TCK)

# slice PID URL [bench args...] -> "requests seconds p99_ms cpu_seconds"
slice() {
  local pid=$1 url=$2; shift 2
  local before after json
  before=$(cpu_ticks "$pid")
  json=$(taskset -c 1 "$BIN" bench --json -c "$CONNECTIONS" -d "$DURATION" "$@" "$url")
  after=$(cpu_ticks "$pid")
  python3 - "$json" "$before" "$after" "$ticks_per_sec" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); before, after, hz = map(float, sys.argv[2:5])
seconds = d["requests"] / max(d["requests_per_sec"], 1e-9)
print(f'{d["requests"]} {seconds:.4f} {d["latency_ms"]["p99"]:.3f} {(after - before) / hz:.4f}')
PY
}

ITEM='{"name":"widget","qty":2}'
declare -A RAW_PATH=( [hello]=/api/hello [hello+hop]=/api/hello-via-actor [dashboard]=/dashboard/1 [posts]=/api/hello [hit-bytes]=/posts [items]=/items )
declare -A TRELLIS_PATH=( [hello]=/api/hello [hello+hop]=/api/hello [dashboard]=/dashboard/1 [posts]=/posts [hit-bytes]=/posts [items]=/items )

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load: trellis bench -c $CONNECTIONS, $SLICES alternating slices of $DURATION per server and path, server on core 0 (1 worker), load on core 1"
echo "(posts: Trellis serves /posts from its cache; raw answers /api/hello, the cheapest handler)"
echo "(hello+hop: raw answers /api/hello behind one message to an actor on its thread, as Trellis does)"
echo "(hit-bytes: raw answers with the very bytes of a Trellis /posts hit, fixed, against that hit)"
for round in 1 2; do
  echo
  echo "round $round"
  printf '%-10s %12s %9s %9s | %12s %9s %9s | %7s %7s %7s\n' path "raw rps" "p99 ms" "cpu us" "trellis rps" "p99 ms" "cpu us" "rps x" "p99 x" "cpu x"
  for name in $PATHS; do
    args=()
    [ "$name" = items ] && args=(-m POST -H 'content-type: application/json' --body "$ITEM")
    raw_slices=() trellis_slices=()
    for _ in $(seq "$SLICES"); do
      raw_slices+=("$(slice "$RAW_PID" "http://127.0.0.1:$RAW_PORT${RAW_PATH[$name]}" "${args[@]}")")
      trellis_slices+=("$(slice "$TRELLIS_PID" "http://127.0.0.1:$TRELLIS_PORT${TRELLIS_PATH[$name]}" "${args[@]}")")
    done
    python3 - "$name" "${raw_slices[*]}" "${trellis_slices[*]}" <<'PY'
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
  done
  echo "trellis resident size: $(( $(rss_kib "$TRELLIS_PID") / 1024 )) MiB"
done

if command -v wrk >/dev/null; then
  echo
  echo "load generators on the same Trellis path (/api/hello), same core, same connections, $SLICES alternating slices each"
  for round in 1 2; do
    wrk_rps=() bench_rps=()
    for _ in $(seq "$SLICES"); do
      wrk_rps+=("$(taskset -c 1 wrk -t1 -c "$CONNECTIONS" -d "$DURATION" "http://127.0.0.1:$TRELLIS_PORT/api/hello" | awk '/Requests\/sec/ {print $2}')")
      # Read once the run is over: a parser piped in would start beside it.
      json=$(taskset -c 1 "$BIN" bench --json -c "$CONNECTIONS" -d "$DURATION" "http://127.0.0.1:$TRELLIS_PORT/api/hello")
      bench_rps+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests_per_sec"])' "$json")")
    done
    python3 - "$round" "${wrk_rps[*]}" "${bench_rps[*]}" <<'PY'
import sys
wrk, bench = (sum(map(float, v.split())) / len(v.split()) for v in sys.argv[2:4])
print(f'round {sys.argv[1]}: wrk {wrk:.0f}/s, trellis bench {bench:.0f}/s, ratio {bench / wrk:.2f}')
PY
  done
fi
