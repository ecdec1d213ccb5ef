"""The wheel ships every package and the rule packs, and the installed command works from it."""
from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

from conftest import ROOT


def test_package_list_matches_the_source_tree():
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "scanner").rglob("__init__.py")}
    assert declared == on_disk | {"scanner.patterns"}


def test_wheel_ships_rule_packs_and_runs(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("leakwarden-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    packs = sorted(p.name for p in (ROOT / "patterns").glob("*.toml"))
    assert sorted(Path(n).name for n in names if n.startswith("scanner/patterns/") and n.endswith(".toml")) == packs
    # Install it into a venv of its own that sees this interpreter's installed dependencies,
    # away from this checkout. --system-site-packages would not do: inside a venv it exposes
    # the *base* interpreter's packages, which on a fresh machine have no hyperscan. A .pth
    # line adds the dependency directories as plain paths (their own .pth files, such as this
    # checkout's editable install, are not processed), after the venv's own site-packages.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    venv_site = subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip()
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(venv_site) / "leakwarden-test-deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([venv / "bin" / "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True)
    result = subprocess.run([venv / "bin" / "leakwarden", "rules", "check"], cwd=tmp_path, capture_output=True,
                            check=False, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    where = subprocess.run([venv / "bin" / "python", "-c", "import scanner.rules.model as m; print(m.builtin_dir())"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(venv) in where
