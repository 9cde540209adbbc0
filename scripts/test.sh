#!/usr/bin/env bash
# Every test of the project: Rust (core, sql-adapter, benches, examples), Python, Node, against a
# real PostgreSQL and real SQLite files. Called by `make test` after the environments are built.
#
# If DATABASE_URL is set it is used as is; otherwise a throwaway PostgreSQL 15 cluster is
# started on a loopback port and stopped at the end, whatever happens.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py="$root/.venv/bin/python"

if [ -z "${DATABASE_URL:-}" ]; then
  pgdir=$(mktemp -d /tmp/ces-pg.XXXXXX)
  trap 'scripts/pg-cluster.sh stop "$pgdir"' EXIT
  DATABASE_URL=$(scripts/pg-cluster.sh start "$pgdir")
  export DATABASE_URL
  echo "== PostgreSQL: throwaway cluster at $DATABASE_URL"
else
  echo "== PostgreSQL: using DATABASE_URL from the environment"
  psql "$DATABASE_URL" -qAt -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" >/dev/null
fi

step() { printf '\n== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (-D warnings)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "Rust tests (core, sql-adapter, benches, examples; doctests)"
cargo test --workspace --exclude ces-python --exclude ces-node --all-features --locked

step "Python binding: build, stubs, tests"
"$root/.venv/bin/maturin" develop --quiet -m bindings-python/Cargo.toml
"$py" -m mypy.stubtest ces._ces
"$py" -m pytest -q bindings-python/tests tests/python

step "Node binding: build, tests"
(cd bindings-node && npm run --silent build:debug && npm test)

step "all suites passed"
