# Shared by scripts/test and scripts/cockpit: make .venv with the project installed, once per
# change of pyproject.toml or of the package's file list (a stamp holds their hashes), so both
# commands work on a fresh clone. The install is a strict editable one: a tree of links laid out as
# the wheel installs it (widgets/ and themes/ inside cockpit/), which import-linter and mypy can read;
# a file added or moved needs a new tree, hence the file list in the stamp.
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
    local files
    files="$(find cockpit widgets themes -name '*.py' -o -name '*.tcss' -o -name '*.csv' -o -name '*.md' | LC_ALL=C sort | sha256sum | cut -c1-16)"
    want="$extras strict $(sha256sum pyproject.toml | cut -c1-16) $files"
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
