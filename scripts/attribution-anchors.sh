#!/usr/bin/env bash
# Regenerates the ces::attribution golden files (tests/fixtures/attribution) from their anchors:
# DuckDB SQL, ChannelAttribution, marketing-attribution-models and an exact numpy Markov solve.
# Run by hand (not in CI; the goldens are committed):  scripts/attribution-anchors.sh
# The venv is .venv-anchors (git-ignored); ANCHOR_VENV / PYTHON override where and with what.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=${ANCHOR_VENV:-$root/.venv-anchors}
python=${PYTHON:-python3.11}
req=$root/requirements-anchors.txt
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "the anchors are pinned for Python 3.11" >&2; exit 1; }
if ! cmp -s "$req" "$venv/.requirements-anchors.txt"; then
  # build tools first, then everything (ChannelAttribution's sdist builds against them)
  "${pip[@]}" -r <(grep -E '^(setuptools|wheel|Cython|numpy)==' "$req")
  "${pip[@]}" --no-build-isolation -r "$req"
  cp "$req" "$venv/.requirements-anchors.txt"
fi
time "$venv/bin/python" tests/fixtures/attribution/generate.py
echo "wrote:"
du -ab tests/fixtures/attribution | sort -k2 \
  | awk '$2 !~ /generate.py$/ {printf "  %9d  %s\n", $1, $2}'
git status --short -- tests/fixtures/attribution
