"""The wheel installs widgets/ and themes/ inside the cockpit namespace, never as top-level names."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_wheel_has_only_the_cockpit_top_level_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("cockpit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"cockpit"}
    assert "cockpit/widgets/__init__.py" in names and "cockpit/themes/__init__.py" in names
    assert "cockpit/data/sample_btcusd_1h.csv" in names and "cockpit/ui/cockpit.tcss" in names
    # Every package of the checkout ships (a missing entry in [tool.setuptools] packages would drop it).
    for init in (REPO / "cockpit").rglob("__init__.py"):
        assert init.relative_to(REPO).as_posix() in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cockpit = cockpit.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_console_script_and_module_entry_point() -> None:
    out = subprocess.run([sys.executable, "-m", "cockpit", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("cockpit ")
    script = Path(sys.executable).with_name("cockpit")
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == f"cockpit {__import__('cockpit').__version__}\n"
