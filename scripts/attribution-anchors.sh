#!/usr/bin/env bash
# Regenerates the ces::attribution golden files (tests/fixtures/attribution) from their anchors:
# DuckDB SQL, ChannelAttribution, marketing-attribution-models and an exact numpy Markov solve.
# Run by hand (not in CI; the goldens are committed):  scripts/attribution-anchors.sh
# The venv is .venv-anchors (git-ignored); ANCHOR_VENV / PYTHON override where and with what.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. "$root/scripts/anchors-venv.sh"
time "$venv/bin/python" tests/fixtures/attribution/generate.py
echo "wrote:"
du -ab tests/fixtures/attribution | sort -k2 \
  | awk '$2 !~ /generate.py$/ {printf "  %9d  %s\n", $1, $2}'
git status --short -- tests/fixtures/attribution
