#!/usr/bin/env bash
# Regenerates the ces::lift golden files (tests/fixtures/lift/*.json, except special.json and
# fisher.json) from their anchors: statsmodels, SciPy and numpy (scripts/lift-anchors.py).
# Run by hand (not in CI; the goldens are committed):  scripts/lift-anchors.sh [family ...]
# The venv is .venv-anchors (git-ignored), shared with scripts/attribution-anchors.sh and set up
# the same way from requirements-anchors.txt; ANCHOR_VENV / PYTHON override where and with what.
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
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
time "$venv/bin/python" scripts/lift-anchors.py "$@"
echo "wrote:"
for f in proportions power welch cuped did twfe ratio ccf; do
  printf '  %9d  %s\n' "$(stat -c %s "tests/fixtures/lift/$f.json")" "tests/fixtures/lift/$f.json"
done
git status --short -- tests/fixtures/lift
