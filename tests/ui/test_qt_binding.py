"""The Qt binding itself must survive a cashier's shift: PySide6 6.12.0 loses a reference
to None on every call of a Qt method that returns nothing (QLabel.setText, setVisible ...),
and after a few thousand of them CPython aborts ("none_dealloc"). pyproject excludes that
release; this test proves the installed binding does not have the fault."""
from __future__ import annotations

import os
import subprocess
import sys

CALLS = 60_000  # a long shift's worth of label updates; 6.12.0 died at about 5,000

SCRIPT = f"""
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
before = sys.getrefcount(None)
for i in range({CALLS}):
    label.setText("x" if i % 2 else "y")
    label.setVisible(bool(i % 2))
lost = before - sys.getrefcount(None)
print(lost)
"""


def test_void_qt_calls_keep_none_alive():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    p = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, f"the Qt binding aborted after void calls: {p.stderr[-400:]}"
    lost = int(p.stdout.strip().splitlines()[-1])
    assert lost < 100, f"{lost} references to None lost in {2 * CALLS} void Qt calls"
