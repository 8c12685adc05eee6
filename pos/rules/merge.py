"""Merging two member records: which fields the survivor takes (pure, plain values).

One rule for the till (`pos.services.members.merge`, a manager's action) and HQ
(`sync.server.members.merge_members`, by phone or replaying a till's merge):

* every profile field the survivor lacks (None, "" or {}) is taken from the other;
* marketing consent: given if either gave it (with the other's consent time);
* the higher tier (by the program's order) with its since / expiry dates;
* the earlier joining time;
* the other's tags the survivor does not have;
* the phone, when the survivor has none.

The ledger move that goes with it (points lot by lot with their expiry, debt as
debt, stored value) is `pos.loyalty.ledger.move_balance`, also used by both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

EMPTY = (None, "", {})
DEFAULT_TIER_ORDER = ("member", "vip", "svip")


def tier_rank(code: str | None, order: Sequence[str] = DEFAULT_TIER_ORDER) -> int:
    return list(order).index(code) if code in order else -1


@dataclass
class FieldMerge:
    """What the survivor takes: `values` to set on it, `filled` the names a merge reports
    (profile fields, marketing_consent, tier), `tags` the other's tags it lacks."""

    values: dict[str, Any] = field(default_factory=dict)
    filled: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def merge_fields(keep: Mapping[str, Any], other: Mapping[str, Any], profile_fields: Iterable[str], *,
                 keep_tags: Iterable[str] = (), other_tags: Iterable[str] = (),
                 tier_order: Sequence[str] = DEFAULT_TIER_ORDER) -> FieldMerge:
    """`keep` / `other`: the two records' values (profile fields, marketing_consent, consent_at,
    tier_code, tier_since, tier_expires, joined_at)."""
    out = FieldMerge()
    for f in profile_fields:
        if keep.get(f) in EMPTY and other.get(f) not in EMPTY:
            out.values[f] = other[f]
            out.filled.append(f)
    if not keep.get("marketing_consent") and other.get("marketing_consent"):
        out.values.update(marketing_consent=True, consent_at=other.get("consent_at"))
        out.filled.append("marketing_consent")
    if tier_rank(other.get("tier_code"), tier_order) > tier_rank(keep.get("tier_code"), tier_order):
        out.values.update(tier_code=other.get("tier_code"), tier_since=other.get("tier_since"),
                          tier_expires=other.get("tier_expires"))
        out.filled.append("tier")
    joined = [t for t in (keep.get("joined_at"), other.get("joined_at")) if t is not None]
    if joined:
        out.values["joined_at"] = min(joined)
    have = set(keep_tags)
    for t in other_tags:
        if t not in have:
            have.add(t)
            out.tags.append(t)
    return out


def takes_phone(keep_has_phone: bool, other_has_phone: bool) -> bool:
    """The survivor takes the other's phone only when it has none."""
    return not keep_has_phone and other_has_phone
