"""Build the till as a self-contained one-folder program with PyInstaller, then smoke-test it.

    pip install pyinstaller            # once, in the environment that has memberpos's dependencies
    python tools/build_till.py         # -> dist/memberpos/ (memberpos, memberpos-till, _internal/)

Options: --dist DIR (default dist), --work DIR (default build/pyinstaller), --no-smoke.
The same command builds on Windows (dist\\memberpos\\memberpos.exe); tools/memberpos.iss
turns that folder into an installer. What goes in the folder: tools/memberpos.spec.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tools" / "memberpos.spec"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def executable(dist: Path, name: str = "memberpos") -> Path:
    return dist / "memberpos" / (name + (".exe" if os.name == "nt" else ""))


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller on tools/memberpos.spec; returns the built folder."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit("error: PyInstaller is not installed here: pip install pyinstaller") from None
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)
    return dist / "memberpos"


def smoke(dist: Path) -> None:
    """The built program starts and knows its version (tests/test_build.py does the full walk)."""
    got = subprocess.run([str(executable(dist)), "--version"], capture_output=True, text=True, timeout=120)
    if got.returncode != 0 or not got.stdout.startswith("memberpos "):
        raise SystemExit(f"error: the built program did not start: rc={got.returncode}\n{got.stdout}{got.stderr}")
    print(got.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="one-folder build of the till (PyInstaller)")
    p.add_argument("--dist", default=str(ROOT / "dist"), help="output folder (default: dist)")
    p.add_argument("--work", default=str(ROOT / "build" / "pyinstaller"), help="PyInstaller's work folder")
    p.add_argument("--no-smoke", action="store_true", help="do not start the built program")
    args = p.parse_args(argv)
    dist, work = Path(args.dist).resolve(), Path(args.work).resolve()
    t0 = time.monotonic()
    try:
        out = build(dist, work)
    except subprocess.CalledProcessError as exc:
        print(f"error: PyInstaller failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    print(f"built {out} in {time.monotonic() - t0:.0f} s, {folder_size(out) / 2**20:.0f} MiB")
    if not args.no_smoke:
        smoke(dist)
    return 0


if __name__ == "__main__":
    sys.exit(main())
