#!/usr/bin/env bash
# Benchmarks: `scripts/bench.sh trigram|brands|cpa|attribution|lift`. Starts a throwaway PostgreSQL unless DATABASE_URL is set.
# The last lines are the `bench: <workload> | ours … | <anchor> … | ratio …` summaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:?which benchmark: trigram, brands, cpa, attribution or lift}
if [ -z "${DATABASE_URL:-}" ] && [ "$what" != cpa ] && [ "$what" != attribution ] && [ "$what" != lift ]; then
  pgdir=$(mktemp -d /tmp/ces-pg.XXXXXX)
  trap 'scripts/pg-cluster.sh stop "$pgdir"' EXIT
  DATABASE_URL=$(scripts/pg-cluster.sh start "$pgdir")
  export DATABASE_URL
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m), $(date -u +%Y-%m-%dT%H:%MZ)"
case "$what" in
trigram)
  cargo bench --locked -p ces-benches --bench trigram -- --warm-up-time 1 --measurement-time 3 2>&1 \
    | grep -E '^(similarity|single)|time:|thrpt:' || true
  out=$(mktemp)
  cargo run --release --locked --quiet -p ces-benches --bin trigram_vs_postgres | tee "$out"
  echo
  grep '^bench:' "$out"
  rm -f "$out"
  ;;
brands)
  # 2 threads on our side (the anchors' core count); RapidFuzz reads the data we write.
  export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-2}
  py=${PYTHON:-$root/.venv/bin/python}
  out=$(mktemp)
  status=0
  cargo run --release --locked --quiet -p ces-benches --bin brands_vs_postgres | tee "$out" || status=$?
  echo
  "$py" benches/brands_rapidfuzz.py bench-out/brands | tee -a "$out" || status=$?
  echo
  grep '^bench:' "$out" || true
  rm -f "$out"
  exit "$status"
  ;;
cpa)
  # Ours through the Python binding (Arrow in, Arrow out: what a data engineer calls), built
  # in release mode; Polars and DuckDB on the same Arrow tables, each in its own process.
  py=${PYTHON:-$root/.venv/bin/python}
  export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-2}
  cargo run --release --locked --quiet -p ces-benches --bin cpa_core
  "$root/.venv/bin/maturin" develop --release --quiet -m bindings-python/Cargo.toml
  out=$(mktemp)
  status=0
  "$py" benches/cpa_bench.py --out bench-out/cpa | tee "$out" || status=$?
  echo
  grep '^bench:' "$out" || true
  rm -f "$out"

  exit "$status"
  ;;
attribution)
  # Ours through the Python binding (Arrow in, Arrow out), built in release mode; DuckDB,
  # Polars and ChannelAttribution on the same data, each engine in its own process.
  py=${PYTHON:-$root/.venv/bin/python}
  export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-2}
  cargo run --release --locked --quiet -p ces-benches --bin attribution_core
  "$root/.venv/bin/maturin" develop --release --quiet -m bindings-python/Cargo.toml
  out=$(mktemp)
  status=0
  "$py" benches/attribution_bench.py --out bench-out/attribution | tee "$out" || status=$?
  echo
  grep '^bench:' "$out" || true
  rm -f "$out"
  exit "$status"
  ;;
lift)
  # Ours: the Rust core (benches/src/bin/lift_core.rs, release) reading the generated columns;
  # statsmodels and SciPy on the same data; each engine and workload in its own process.
  py=${PYTHON:-$root/.venv/bin/python}
  export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-2}
  cargo build --release --locked --quiet -p ces-benches --bin lift_core
  out=$(mktemp)
  status=0
  "$py" benches/lift_bench.py --out bench-out/lift \
    --ours "${CARGO_TARGET_DIR:-$root/target}/release/lift_core" | tee "$out" || status=$?
  echo
  grep '^bench:' "$out" || true
  rm -f "$out"
  exit "$status"
  ;;
*)
  echo "unknown benchmark: $what" >&2
  exit 2
  ;;
esac
