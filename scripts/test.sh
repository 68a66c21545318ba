#!/usr/bin/env bash
# The README's test command: install what the tests need, then run pytest.
#
#   bash scripts/test.sh [pytest args...]
#
# Works on a fresh Debian machine: as root it apt-get installs Debian's
# chromium and a Java runtime when they are missing; as a normal user it only
# warns, and the browser tests skip (or fail when CI=true).
# Each step is skipped when its inputs have not changed, so reruns are fast.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=$ROOT/.venv

log() { printf '[test.sh] %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# --- Debian packages -------------------------------------------------------
apt_updated=
apt_install() {
    if [ -z "$apt_updated" ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v python3 >/dev/null || missing+=(python3)
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-liberation)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    if is_root && command -v apt-get >/dev/null; then
        apt_install "${missing[@]}"
    else
        log "warning: missing ${missing[*]}; install with: sudo apt-get install ${missing[*]}"
        log "         (browser, validator and accessibility tests will skip without them)"
    fi
fi

# --- Python virtualenv ----------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    if ! python3 -m venv "$VENV"; then
        # Debian splits ensurepip out of python3 into python3-venv.
        is_root || { log "error: run: sudo apt-get install python3-venv"; exit 1; }
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV"
    fi
fi
stamp=$VENV/.dateline-requirements
want=$(cat requirements.txt requirements-dev.txt | sha256sum)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "pip install -r requirements-dev.txt"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
    printf '%s' "$want" >"$stamp"
fi

# --- npm packages (axe-core, vnu-jar) -------------------------------------
# --ignore-scripts: vnu-jar's postinstall downloads a JDK from the internet;
# the system's Java runs vnu.jar instead.
if command -v npm >/dev/null; then
    if ! cmp -s package-lock.json node_modules/.dateline-lock 2>/dev/null; then
        log "npm ci"
        npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
        cp package-lock.json node_modules/.dateline-lock
    fi
fi

# --- tests ----------------------------------------------------------------
status=0
"$VENV/bin/python" -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    log "error: pytest collected no tests"
    exit 1
fi
exit "$status"
