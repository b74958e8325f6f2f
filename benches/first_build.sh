#!/usr/bin/env bash
# The first build of a new app: crates compiled and wall time, each build
# into an empty target dir of its own.
#
#   benches/first_build.sh                    # a `trellis new` app, 2 builds
#   RUNS=3 benches/first_build.sh DIR...      # the same, in turn with each DIR
#
# The app is what `trellis new --trellis-path .` writes, with this
# checkout's lockfile. Each DIR is another crate built the same way in
# turn with it (an app against an older checkout, say), so that the
# machine's drift falls on both alike. Crates are counted as cargo's
# `Compiling` lines; CPU is user + system time. Run it with nothing else
# building: a build uses both cores.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-2}
ROOT=$(pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo run --quiet -p trellis --bin trellis -- new "$WORK/app" --trellis-path "$ROOT" >/dev/null
cargo fetch --quiet --manifest-path "$WORK/app/Cargo.toml"
for dir in "$@"; do
  cargo fetch --quiet --manifest-path "$dir/Cargo.toml"
done

# Builds the crate in $2 into a fresh target dir; prints one line named $1.
build() {
  local name=$1 dir=$2 target="$WORK/target" log="$WORK/build.log" start end times
  rm -rf "$target"
  start=$(date +%s.%N)
  times=$( { TIMEFORMAT='%U %S'; time (cd "$dir" && CARGO_TARGET_DIR="$target" cargo build 2>"$log"); } 2>&1 )
  end=$(date +%s.%N)
  awk -v name="$name" -v start="$start" -v end="$end" -v times="$times" \
    -v crates="$(grep -c '^ *Compiling' "$log")" \
    'BEGIN { split(times, t, " "); printf "%-32s %4d crates  %6.1f s  (%4.0f s of CPU)\n", name, crates, end - start, t[1] + t[2] }'
}

for _ in $(seq "$RUNS"); do
  build "trellis new (this checkout)" "$WORK/app"
  for dir in "$@"; do
    build "$dir" "$dir"
  done
done
