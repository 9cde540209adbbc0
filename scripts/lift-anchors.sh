#!/usr/bin/env bash
# Regenerates the ces::lift golden files (tests/fixtures/lift/*.json) from their anchors:
# statsmodels, SciPy, numpy and mpmath (scripts/lift-anchors.py; with no family named, also
# special.json and fisher.json from SciPy, scripts/lift-special-anchors.py).
# Run by hand (not in CI; the goldens are committed):  scripts/lift-anchors.sh [family ...]
# The venv is .venv-anchors (git-ignored), shared with scripts/attribution-anchors.sh and set up
# the same way from requirements-anchors.txt; ANCHOR_VENV / PYTHON override where and with what.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. "$root/scripts/anchors-venv.sh"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
time "$venv/bin/python" scripts/lift-anchors.py "$@"
if [ $# -eq 0 ]; then
  # special.json and fisher.json: the special functions and Fisher's test against SciPy
  time "$venv/bin/python" scripts/lift-special-anchors.py
fi
echo "wrote:"
for f in proportions power welch cuped did twfe ratio ccf; do
  printf '  %9d  %s\n' "$(stat -c %s "tests/fixtures/lift/$f.json")" "tests/fixtures/lift/$f.json"
done
git status --short -- tests/fixtures/lift
