"""Every UI string reaches Qt's translator: the shipped .ts has no unfinished entry,
and no tr() hides inside an f-string, where lupdate cannot see it (such a string
would stay English on a Chinese till)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TS = ROOT / "pos" / "resources" / "translations" / "memberpos_zh_CN.ts"


def test_no_unfinished_translation():
    unfinished = [m.findtext("source") for m in ET.parse(TS).iter("message")
                  if m.find("translation").get("type") == "unfinished"]
    assert unfinished == []


def test_no_tr_inside_an_f_string():
    hidden = re.compile(r"""\bf(["']).*\{[^}]*\btr(anslate)?\(""")
    bad = [f"{p.name}:{i}" for p in sorted((ROOT / "app").glob("*.py"))
           for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if hidden.search(line)]
    assert bad == []
