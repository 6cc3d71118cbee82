# Shared by scripts/cockpit, scripts/test and scripts/bench: a virtual environment with the project installed,
# so every command works on a fresh clone.
#
#   ensure_venv DIR [EXTRAS]    scripts/cockpit: .venv, runtime only; scripts/test, scripts/bench: .venv-dev, "dev"
#
# The interpreter is $PYTHON when set, else the `python3` on PATH (else the newest python3.1x found, when that
# one is older than 3.10). A stamp in DIR records the interpreter's path and version, the extras and
# pyproject.toml's hash: a venv made by another interpreter, broken (no python, no pip, a failed build) or
# without a stamp is rebuilt from scratch; a changed pyproject.toml is installed again. pip's output goes to
# DIR.log and is shown only when something fails.

COCKPIT_STAMP_NAME=".cockpit-stamp"

# "EXECUTABLE VERSION" of a usable interpreter (3.10 or newer), else nothing and status 1.
cockpit_probe_python() {
    "$1" -c 'import sys; v = sys.version_info
if v < (3, 10): raise SystemExit(1)
print(sys.executable, "%d.%d.%d" % v[:3])' 2>/dev/null
}

# The interpreter to build with, as "EXECUTABLE VERSION"; says why on stderr and fails when there is none.
cockpit_pick_python() {
    local found cand
    if [ -n "${PYTHON:-}" ]; then
        if found="$(cockpit_probe_python "$PYTHON")"; then echo "$found"; return 0; fi
        echo "cockpit: PYTHON=$PYTHON is not a Python 3.10 or newer; set PYTHON to one that is" >&2
        return 2
    fi
    if found="$(cockpit_probe_python python3)"; then echo "$found"; return 0; fi
    for cand in python3.13 python3.12 python3.11 python3.10; do
        if found="$(cockpit_probe_python "$cand")"; then
            echo "cockpit: the python3 on PATH is older than 3.10 (or missing); using $cand" >&2
            echo "$found"
            return 0
        fi
    done
    echo "cockpit: no Python 3.10 or newer found; install one, or set PYTHON=/path/to/python3.X" >&2
    return 2
}

# The stamp a venv built now would carry.
cockpit_stamp() {
    local exe="$1" version="$2" extras="$3"
    # The install is a strict editable one (a tree of links laid out as the wheel installs it, widgets/
    # and themes/ inside cockpit/, which import-linter and mypy read): a file added or moved needs a new
    # tree, hence the package's file list in the stamp.
    local files LC_ALL=C  # bash builtins only (globstar, printf): this runs before every command
    files="$(shopt -s globstar nullglob; printf '%s\n' {cockpit,widgets,themes}/**/*.{py,tcss,csv,md} \
        | sha256sum | cut -c1-16)"
    printf 'python=%s\nversion=%s\nextras=%s\npyproject=%s\nfiles=%s\n' "$exe" "$version" "$extras" \
        "$(sha256sum pyproject.toml | cut -c1-16)" "$files"
}

# What to do with DIR: "ok", "install" (same interpreter, the project changed) or "rebuild: REASON".
cockpit_venv_state() {
    local dir="$1" want="$2" have
    if [ ! -e "$dir" ]; then echo "rebuild: first run"; return; fi
    if [ -f "$dir/.cockpit-installed" ]; then echo "rebuild: made by an older scripts/_venv.sh"; return; fi
    if [ ! -f "$dir/$COCKPIT_STAMP_NAME" ]; then echo "rebuild: no stamp (an earlier build failed?)"; return; fi
    have="$(cat "$dir/$COCKPIT_STAMP_NAME")"
    # File tests only: this runs before every command, so it must cost nothing.
    if [ ! -x "$dir/bin/python" ] || ! compgen -G "$dir/lib/python3*/site-packages/pip/__init__.py" >/dev/null; then
        echo "rebuild: its python or pip is broken"; return
    fi
    if [ "$(sed -n 1,2p <<<"$have")" != "$(sed -n 1,2p <<<"$want")" ]; then
        echo "rebuild: made with $(sed -n 's/^version=//p' <<<"$have"), now $(sed -n 's/^version=//p' <<<"$want")"
        return
    fi
    if [ "$have" != "$want" ]; then echo "install"; return; fi
    echo "ok"
}

# Runs a build step with its output in LOG; on failure shows the end of the log and the one thing to do.
cockpit_step() {
    local dir="$1" log="$2"; shift 2
    if "$@" >>"$log" 2>&1; then return 0; fi
    tail -n 40 "$log" >&2
    echo "cockpit: building $dir failed (full log: $log); fix the cause above and run again" >&2
    exit 2
}

ensure_venv() {
    local dir="$1" extras="${2:-}" picked exe version want state log spec=.
    picked="$(cockpit_pick_python)" || exit 2
    exe="${picked% *}"; version="${picked##* }"
    want="$(cockpit_stamp "$exe" "$version" "$extras")"
    state="$(cockpit_venv_state "$dir" "$want")"
    [ "$state" = ok ] && return 0
    [ -n "$extras" ] && spec=".[$extras]"
    log="$dir.log"
    : >"$log"
    if [ "$state" = install ]; then
        echo "cockpit: updating $dir (pyproject.toml or the extras changed: ${extras:-none} now)" >&2
    else
        if [ "$state" = "rebuild: first run" ]; then
            echo "cockpit: building $dir (first run, about a minute) with Python $version ($exe)" >&2
        else
            echo "cockpit: rebuilding $dir (${state#rebuild: }) with Python $version ($exe), about a minute" >&2
        fi
        rm -rf "$dir"
        cockpit_step "$dir" "$log" "$exe" -m venv "$dir"
        if ! "$dir/bin/python" -m pip --version >/dev/null 2>&1; then
            rm -rf "$dir"
            echo "cockpit: $exe makes venvs without pip: install its venv module (Debian/Ubuntu:" \
                "sudo apt-get install python3-venv) or set PYTHON= to another Python" >&2
            exit 2
        fi
    fi
    cockpit_step "$dir" "$log" "$dir/bin/python" -m pip install --disable-pip-version-check \
        --config-settings editable_mode=strict -e "$spec"
    echo "$want" >"$dir/$COCKPIT_STAMP_NAME"
}
