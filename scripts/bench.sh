#!/usr/bin/env bash
# Benchmarks: `scripts/bench.sh trigram`. Starts a throwaway PostgreSQL unless DATABASE_URL is set.
# The last lines are the `bench: <workload> | ours … | <anchor> … | ratio …` summaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:?which benchmark: trigram}
if [ -z "${DATABASE_URL:-}" ]; then
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
*)
  echo "unknown benchmark: $what" >&2
  exit 2
  ;;
esac
