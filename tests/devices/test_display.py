"""The 2x20 pole display: ESC/POS line-display bytes on a real (pty) serial port."""
from __future__ import annotations

import pytest

from devices.config import DisplaySettings, SerialSettings
from devices.display import PoleDisplay, item_lines, screen_bytes, total_lines, welcome_lines
from devices.columns import width


def test_screens_are_two_lines_of_twenty_columns():
    for l1, l2 in (item_lines("农夫山泉天然水550ml特价装", 200, 3), total_lines(12345, 20000, 7655),
                   welcome_lines("王小明", 1200), welcome_lines(None)):
        assert width(l1) <= 20 and width(l2) <= 20
    assert item_lines("可乐", 350, 2) == ("可乐", "2 x 3.50        7.00")
    assert total_lines(12345, change_fen=55, lang="en") == ("TOTAL         123.45", "CHANGE          0.55")


def test_welcome_shows_the_masked_name_only():
    l1, l2 = welcome_lines("王小明", 1200)
    assert l1 == "欢迎 王**" and "小明" not in l1 + l2 and l2.endswith("1200")
    assert welcome_lines("John Smith", lang="en")[0] == "Welcome J*** S****"


def test_bytes_gb18030_and_ascii_fallback():
    data = screen_bytes("欢迎 王**", "合计 1.00")
    assert data.startswith(b"\x1b@\x1f\x01\x1c&") and b"\x1f$\x01\x01" in data and b"\x1f$\x01\x02" in data
    assert "王**".encode("gb18030") in data
    plain = screen_bytes("欢迎 王**", "", encoding="ascii")
    assert b"\x1c&" not in plain and all(b < 0x80 for b in plain)


def test_writes_to_the_port_and_survives_a_missing_one(make_pty):
    pty = make_pty()
    d = PoleDisplay(DisplaySettings(enabled=True, serial=SerialSettings(port=pty.path)))
    try:
        assert d.welcome("王小明", 88)
        got = b""
        while b"88" not in got:
            chunk = pty.read()
            assert chunk, got
            got += chunk
        assert "王**".encode("gb18030") in got and "小明".encode("gb18030") not in got
        assert d.last == ("欢迎 王**", "会员" + " " * 14 + "88")  # 20 columns: 会员 is 4
    finally:
        d.close()
    gone = PoleDisplay(DisplaySettings(enabled=True, serial=SerialSettings(port="/dev/nonexistent-display")))
    assert gone.total(100) is False  # reported, never raised
    assert PoleDisplay(DisplaySettings(enabled=False)).item("x", 1) is False


def test_amounts_must_be_integer_fen():
    with pytest.raises(TypeError, match="integer fen"):
        total_lines(1.5)
