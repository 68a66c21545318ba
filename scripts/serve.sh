#!/usr/bin/env bash
# The README's first command: set up Dateline and preview the example site.
#
#   bash scripts/serve.sh [serve options...]     e.g. --port 8001, --drafts
#
# Creates .venv with the runtime requirements (once), checks the content and
# serves it with live reload at http://127.0.0.1:8000/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=$PWD/.venv

if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian ships ensurepip separately, in python3-venv.
        rm -rf "$VENV"
        if [ "$(id -u)" -eq 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        else
            echo "Python's venv module is missing: sudo apt-get install python3-venv" >&2
            exit 1
        fi
        python3 -m venv "$VENV"
    fi
fi
stamp=$VENV/.dateline-runtime
want=$(sha256sum requirements.txt)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
    printf '%s' "$want" >"$stamp"
fi
exec "$VENV/bin/python" build.py serve "$@"
