# Sourced by the golden-file generators (scripts/*-anchors.sh): creates or updates the anchors'
# venv, .venv-anchors (git-ignored; Python 3.11), from requirements-anchors.txt, and sets
# `venv` to it. ANCHOR_VENV / PYTHON override where and with what.
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
