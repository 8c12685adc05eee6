"""The installable builds, proven by running them outside the clone (issue 19 item 5).

- test_wheel_installs_and_runs: `python -m build --wheel`, installed into a fresh venv, runs the
  till's and HQ's commands from a directory that is not the clone (presets, translations, both
  Alembic trees come from the wheel).
- test_one_folder_build_runs: `python tools/build_till.py` (PyInstaller), then the built program
  alone: --version, a demo store opened and migrated, a preset from the bundle, HQ's database
  created, the checkout screen rendered offscreen in Chinese.

Both take minutes (the PyInstaller build ~5 min on CI's 2 cores), so they run only with
MEMBERPOS_BUILD_TEST=1 (`.ci/run` does, after the suite):

    MEMBERPOS_BUILD_TEST=1 python -m pytest tests/test_build.py
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1500),
    pytest.mark.skipif(os.environ.get("MEMBERPOS_BUILD_TEST") != "1", reason="builds take minutes: MEMBERPOS_BUILD_TEST=1"),
]


def run(cmd: list, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("POS_DB", "PYTHONPATH")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    got = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert got.returncode == 0, f"{cmd}: rc={got.returncode}\n{got.stdout[-3000:]}\n{got.stderr[-3000:]}"
    return got


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def walk(memberpos: list, work: Path, preset: Path) -> None:
    """What a store's IT does first with a fresh install; every step must exit 0."""
    got = run([*memberpos, "--version"], work)
    assert got.stdout.startswith("memberpos ") and "unknown" not in got.stdout
    store = work / "store.sqlite3"
    got = run([*memberpos, "demo", "--members", "50", "--products", "10", "--db", store], work)
    assert "50 members" in got.stdout
    got = run([*memberpos, "program", "check", preset], work)
    assert got.stdout.startswith("ok: vancl-")
    got = run([*memberpos, "--db", store, "doctor", "--json"], work)
    doc = json.loads(got.stdout)
    assert doc["schema"]["up_to_date"] and doc["version"] != "unknown", doc
    assert doc["clock"]["timezone"] == "Asia/Shanghai" and doc["clock"]["local"].endswith("+08:00"), doc["clock"]  # tzdata
    hq = work / "hq.sqlite3"
    got = run([*memberpos, "hq", "--db", hq, "store", "add", "S01", "--name", "Build test"], work)
    assert "enrolment code" in got.stdout
    got = run([*memberpos, "hq", "--db", hq, "program", "publish", preset], work)
    assert "vancl-" in got.stdout
    shot = work / "signin.png"  # the Qt app over the store made above
    run([*memberpos, "screenshot", "--screen", "signin", "--db", store, "--out", shot], work)
    assert png_size(shot) == (1024, 768)
    shot = work / "checkout.png"  # over screenshot's own demo store: a member, a basket, Chinese text
    run([*memberpos, "screenshot", "--screen", "checkout", "--out", shot], work)
    assert png_size(shot) == (1024, 768) and shot.stat().st_size > 50_000


def test_wheel_installs_and_runs(tmp_path):
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, ROOT], ROOT, timeout=600)
    (wheel,) = dist.glob("memberpos-*.whl")
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for must in ("main.py", "pos/resources/presets/vancl.json", "pos/resources/presets/hdcrm.json",
                 "pos/resources/translations/memberpos_zh_CN.qm", "pos/resources/translations/memberpos_zh_CN.ts",
                 "pos/store/migrations/env.py", "pos/store/migrations/script.py.mako",
                 "sync/server/migrations/env.py", "sync/server/migrations/script.py.mako"):
        assert must in names, must
    for tree in ("pos/store/migrations/versions/", "sync/server/migrations/versions/"):
        shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith(tree) and n.endswith(".py")}
        in_clone = {p.name for p in (ROOT / tree).glob("*.py")}
        assert shipped == in_clone, tree
    # A fresh venv that borrows the dependencies already installed here (no download), with the
    # wheel's code in its own site-packages, run from a directory that is not the clone.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    run([bindir / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], tmp_path)
    where = run([bindir / "python", "-c", "import pos, app; print(pos.__file__); print(app.__file__)"], tmp_path).stdout
    assert all(Path(line).is_relative_to(env_dir) for line in where.split()), where  # not the clone's
    site_pos = Path(where.split()[0]).parent
    walk([bindir / ("memberpos.exe" if os.name == "nt" else "memberpos")], tmp_path, site_pos / "resources/presets/vancl.json")


def test_one_folder_build_runs(tmp_path):
    dist = tmp_path / "dist"
    run([sys.executable, ROOT / "tools" / "build_till.py", "--dist", dist, "--work", tmp_path / "work"], ROOT, timeout=1200)
    folder = dist / "memberpos"
    exe = folder / ("memberpos.exe" if os.name == "nt" else "memberpos")
    assert exe.exists() and (folder / ("memberpos-till.exe" if os.name == "nt" else "memberpos-till")).exists()
    internal = folder / "_internal"
    for must in ("pos/resources/translations/memberpos_zh_CN.qm", "pos/resources/presets/vancl.json",
                 "pos/store/migrations/env.py", "sync/server/migrations/env.py"):
        assert (internal / must).exists(), must
    assert list((internal / "PySide6").rglob("*qoffscreen*")), "Qt's offscreen platform plugin is not bundled"
    if sys.platform.startswith("linux"):
        assert list((internal / "PySide6").rglob("*qxcb*")), "Qt's xcb platform plugin is not bundled"
    work = tmp_path / "run"
    work.mkdir()
    walk([exe], work, internal / "pos/resources/presets/vancl.json")
