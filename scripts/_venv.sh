# Shared by scripts/test and scripts/cockpit: make .venv with the project installed, once per
# change of pyproject.toml (a stamp holds its hash), so both commands work on a fresh clone.
ensure_venv() {
    local extras="$1"
    local py="${PYTHON:-}"
    if [ -z "$py" ]; then
        for cand in python3.11 python3.12 python3.10 python3; do
            if command -v "$cand" >/dev/null 2>&1; then py="$cand"; break; fi
        done
    fi
    [ -n "$py" ] || { echo "cockpit: no python3 found (need Python 3.10+)" >&2; exit 2; }
    local stamp=".venv/.cockpit-installed"
    local want
    want="$extras strict $(sha256sum pyproject.toml | cut -c1-16)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    [ -x .venv/bin/python ] || "$py" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    if [ -n "$extras" ]; then
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=strict -e ".[$extras]"
    else
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=strict -e .
    fi
    echo "$want" >"$stamp"
}
