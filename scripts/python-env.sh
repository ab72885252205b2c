#!/usr/bin/env bash
# The Python environment of the Python client's tests: .venv at the repository root with
# ./clients/python[test] installed into it. Safe to run again: when the client's files have not
# changed since the last install it returns at once (a stamp in the venv records them).
#
#   scripts/python-env.sh            create or update .venv
#   PYTHON=python3.12 scripts/...    the interpreter to create it with (default python3, >= 3.9)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
CLIENT=clients/python
STAMP="$VENV/.driftql-client"

# A venv whose interpreter no longer runs (e.g. Python was upgraded) is made again.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else "the Python client needs Python 3.9 or later")'
  "${PYTHON:-python3}" -m venv "$VENV"
fi

# What the install depends on: the interpreter and every file of the client but its tests and examples.
want="$(
  {
    "$VENV/bin/python" -c 'import sys; print(sys.version)'
    find "$CLIENT" \( -path "$CLIENT/tests" -o -path "$CLIENT/examples" -o -path "$CLIENT/build" -o -name __pycache__ \
      -o -name '*.egg-info' \) -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

# Where packages come from a local index and the public one cannot be reached, pip's default of
# 5 retries per lookup of the public one adds minutes; fail over at once (override: PIP_RETRIES).
export PIP_RETRIES="${PIP_RETRIES:-0}" PIP_DISABLE_PIP_VERSION_CHECK=1
started=$SECONDS
"$VENV/bin/python" -m pip install --quiet "./$CLIENT[test]" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; } >&2
# The build leaves its work folders in the source tree.
rm -rf "$CLIENT/build" "$CLIENT"/src/*.egg-info
echo "$want" >"$STAMP"
echo "python-env: installed ./$CLIENT[test] into $VENV in $((SECONDS - started)) s" >&2
