"""Issue 14's first guard: every leaf field of the program schema is read somewhere.

A simple static check, honest about what it is: for each leaf field of
`ProgramDoc` (tests/pos/settings/schema.py), the source of pos/, sync/, app/ and
devices/ outside the schema module must read the attribute — `.name`, or
`["name"]` / `.get("name"` where a module reads the program's JSON (the lottery's
prize table, HQ's stored documents). A field read only by a helper of the schema
module counts through that helper, when the helper itself is read outside.
It proves the name is read, not that the setting works: test_settings_effect.py
does that, field by field.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from tests.pos.settings.schema import LEAVES, PENDING, attribute

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_MODULE = ROOT / "pos" / "rules" / "program.py"
PACKAGES = ("pos", "sync", "app", "devices")

# Identity fields: what the document is, not a setting with an effect of its own.
ALLOWED = {
    "schema": "the document format's version: parse() accepts 1 only (a Literal), nothing else reads it",
}

# Fields read inside the schema module by a helper the rest of the code calls.
THROUGH = {
    "stored_value.topup_bonus[].bonus_fen": "bonus_for",  # StoredValue.bonus_for: checkout.topup
    "stored_value.topup_bonus[].min_fen": "bonus_for",
    "redemption.points_per_unit": "fen_for",  # Redemption.fen_for: pricing, points uses
    "redemption.unit_fen": "fen_for",
}


@lru_cache(maxsize=1)
def _source() -> str:
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py")) if p != SCHEMA_MODULE]
    assert len(files) > 50, "the source tree was not found"
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def read_outside(attr: str) -> bool:
    pattern = rf"\.{attr}\b|\[[\"']{attr}[\"']\]|\.get\([\"']{attr}[\"']"
    return re.search(pattern, _source()) is not None


def test_the_walk_finds_the_schema():
    assert len(LEAVES) > 140
    assert "tiers.levels[].review[].min_spend_fen" in LEAVES and "segments.abc_shares.d" in LEAVES


@pytest.mark.parametrize("path", LEAVES)
def test_field_is_read_outside_the_schema(path):
    if path in ALLOWED:
        return
    if path in PENDING:
        pytest.skip(f"pending: {PENDING[path]}")
    helper = THROUGH.get(path)
    if helper is not None:
        assert attribute(path) in SCHEMA_MODULE.read_text(encoding="utf-8")
        assert read_outside(helper), f"{path}: read by {helper}(), which nothing outside the schema calls"
        return
    assert read_outside(attribute(path)), (
        f"program field {path} is read nowhere outside pos/rules/program.py: a setting that does nothing (issue 14)")


def test_allow_lists_name_real_fields():
    assert set(ALLOWED) <= set(LEAVES) and set(THROUGH) <= set(LEAVES) and set(PENDING) <= set(LEAVES)
