"""scripts/_venv.sh (issue 16 items 3-4): which Python builds the venvs, and when a venv is rebuilt.

Nothing here installs anything: the interpreters are small fakes on a private PATH, and the one venv made
is made without pip, as Debian's Python does when ``python3-venv`` is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_SH = REPO / "scripts" / "_venv.sh"
TOOLS = ("sha256sum", "cut", "sed", "cat", "rm", "tail", "mkdir", "ln", "dirname", "readlink")


def fake_python(path: Path, version: str | None) -> Path:
    """A ``python3`` that answers the version probe as ``version`` (None: too old) and runs nothing else."""
    answer = f'case "$1" in -c) echo "{path} {version}";; *) exit 3;; esac'
    body = "exit 1" if version is None else answer
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)
    return path


def debian_python(path: Path) -> Path:
    """The Python running the tests, under another name, whose ``-m venv`` makes venvs without pip (as
    Debian's does when ``python3-venv`` is missing)."""
    exe = sys.executable
    version = ".".join(str(n) for n in sys.version_info[:3])
    path.write_text(
        "#!/bin/bash\n"
        f'if [ "$1" = -c ]; then echo "{path} {version}"; exit 0; fi\n'
        f'if [ "$1 $2" = "-m venv" ]; then exec "{exe}" -m venv --without-pip "$3"; fi\n'
        "exit 3\n"
    )
    path.chmod(0o755)
    return path


def private_bin(tmp_path: Path) -> Path:
    """A PATH holding only the tools the script uses, so no Python of the machine is found by accident."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return bin_dir


def sh(script: str, cwd: Path, path: Path, python: str | None = None) -> subprocess.CompletedProcess[str]:
    # No index, no config: should a test ever reach pip install, it fails at once instead of downloading.
    env = {"PATH": str(path), "HOME": str(cwd), "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": "/dev/null"}
    if python is not None:
        env["PYTHON"] = python
    return subprocess.run(
        ["/bin/bash", "-c", f'. "{VENV_SH}"; {script}'],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_python3_on_path_wins_over_any_python3_x(tmp_path: Path) -> None:
    bin_dir = private_bin(tmp_path)
    fake_python(bin_dir / "python3.11", "3.11.7")
    fake_python(bin_dir / "python3", "3.12.1")
    done = sh("cockpit_pick_python", tmp_path, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{bin_dir / 'python3'} 3.12.1"


def test_an_old_python3_falls_back_to_the_newest_supported_and_says_so(tmp_path: Path) -> None:
    bin_dir = private_bin(tmp_path)
    fake_python(bin_dir / "python3", None)
    fake_python(bin_dir / "python3.10", "3.10.13")
    fake_python(bin_dir / "python3.12", "3.12.1")
    done = sh("cockpit_pick_python", tmp_path, bin_dir)
    assert done.stdout.strip() == f"{bin_dir / 'python3.12'} 3.12.1"
    assert "older than 3.10" in done.stderr and "python3.12" in done.stderr


def test_python_override_is_used_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    bin_dir = private_bin(tmp_path)
    fake_python(bin_dir / "python3", "3.12.1")
    chosen = fake_python(tmp_path / "py310", "3.10.13")
    assert sh("cockpit_pick_python", tmp_path, bin_dir, str(chosen)).stdout.strip() == f"{chosen} 3.10.13"
    old = fake_python(tmp_path / "py39", None)
    done = sh("cockpit_pick_python", tmp_path, bin_dir, str(old))
    assert done.returncode == 2 and done.stdout == ""
    assert f"PYTHON={old} is not a Python 3.10 or newer" in done.stderr


def test_no_python_at_all_says_what_to_do(tmp_path: Path) -> None:
    done = sh("cockpit_pick_python", tmp_path, private_bin(tmp_path))
    assert done.returncode == 2
    assert "set PYTHON=" in done.stderr


def fake_venv(root: Path, stamp: str | None, with_pip: bool = True) -> Path:
    venv = root / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    if with_pip:
        pip = venv / "lib" / "python3.11" / "site-packages" / "pip"
        pip.mkdir(parents=True)
        (pip / "__init__.py").write_text("")
    if stamp is not None:
        (venv / ".cockpit-stamp").write_text(stamp + "\n")
    return venv


def stamp(cwd: Path, bin_dir: Path, version: str, extras: str = "") -> str:
    return sh(f'cockpit_stamp /usr/bin/python3 {version} "{extras}"', cwd, bin_dir).stdout.strip()


def state(cwd: Path, bin_dir: Path, version: str, extras: str = "") -> str:
    want = stamp(cwd, bin_dir, version, extras)
    return sh(f'cockpit_venv_state .venv "{want}"', cwd, bin_dir).stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_a_venv_is_reused_only_when_its_stamp_matches(project: Path, tmp_path: Path) -> None:
    bin_dir = private_bin(tmp_path)
    assert state(project, bin_dir, "3.12.1") == "rebuild: first run"
    fake_venv(project, stamp(project, bin_dir, "3.12.1"))
    assert state(project, bin_dir, "3.12.1") == "ok"
    # Another interpreter (the user switched to 3.11): rebuilt, saying from what to what.
    assert state(project, bin_dir, "3.11.7") == "rebuild: made with 3.12.1, now 3.11.7"
    # Other extras or another pyproject.toml: installed again into the same venv.
    assert state(project, bin_dir, "3.12.1", "dev") == "install"
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + "\n# changed\n")
    assert state(project, bin_dir, "3.12.1") == "install"


def test_a_broken_or_unfinished_venv_is_rebuilt(project: Path, tmp_path: Path) -> None:
    bin_dir = private_bin(tmp_path)
    fake_venv(project, None)  # what a failed build leaves: no stamp
    assert state(project, bin_dir, "3.12.1") == "rebuild: no stamp (an earlier build failed?)"
    shutil.rmtree(project / ".venv")
    fake_venv(project, stamp(project, bin_dir, "3.12.1"), with_pip=False)
    assert state(project, bin_dir, "3.12.1") == "rebuild: its python or pip is broken"


def test_a_python_that_makes_venvs_without_pip_gets_one_line_saying_what_to_do(
    project: Path, tmp_path: Path
) -> None:
    bin_dir = private_bin(tmp_path)
    debian = debian_python(tmp_path / "debian-python3")
    done = sh("ensure_venv .venv", project, bin_dir, str(debian))
    assert done.returncode == 2
    *_, last = done.stderr.strip().splitlines()
    assert "sudo apt-get install python3-venv" in last and "PYTHON=" in last
    assert done.stderr.startswith("cockpit: building .venv (first run, about a minute) with Python ")
    assert not (project / ".venv").exists()  # nothing half-built left to trip the next run


def test_the_run_command_builds_the_runtime_venv_and_the_test_command_the_dev_one() -> None:
    # The run command's venv holds no test tooling: it installs the project without extras.
    assert 'ensure_venv .venv "$extras"\n' in (REPO / "scripts" / "cockpit").read_text()
    assert "ensure_venv .venv-dev dev\n" in (REPO / "scripts" / "test").read_text()
    # The benchmarks' references (TA-Lib, smartmoneyconcepts with pandas and numba) live in their own venv.
    assert "ensure_venv .venv-bench dev,bench\n" in (REPO / "scripts" / "bench").read_text()
