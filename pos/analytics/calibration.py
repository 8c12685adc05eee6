"""Tier calibration (issue 15 §4; seed 001: tiers sized roughly 60 / 30 / 10 % of members by spend).

`propose(db, target=(60, 30, 10), window_days=365)` reads every active member's
qualifying spend in the window (completed net spend, returns netted; imported
history counts), ranks members by it, and proposes the thresholds that give each
tier its target share: the members at or above tier k are the top
(share_k + … + share_top) %, so tier k's threshold is the spend of the last of them,
rounded down to a whole yuan (ties at a threshold all qualify, so shares can come
out a little above target; the achieved distribution is reported beside it).

The proposal is written in the program's own terms:
- window qualification: each tier's `window_spend_fen` is its threshold;
- cumulative qualification: the first upgrade is the first threshold, each later
  `upgrade_spend_fen` the spend beyond the threshold below (spend since the last
  change); review bands are scaled by the same factor as the first threshold.

It says where today's thresholds put members by the same spend (a program whose
VIP threshold 0.2 % reach is visible at once) and how many members the proposal
would move up or down. `apply` installs the proposal as a new program version.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from pos.errors import DomainError
from pos.store import program_store
from pos.store.models import Member, Sale


@dataclass
class Proposal:
    as_of: dt.date
    window_days: int
    target: tuple[int, ...]
    members: int
    buyers: int
    tiers: list[str]
    current: dict[str, Any]
    proposed: dict[str, Any]
    moves: dict[str, int]
    doc: Any  # the program document with the proposed thresholds
    applied: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "window_days": self.window_days, "target_pct": list(self.target),
                "members": self.members, "buyers": self.buyers, "tiers": self.tiers, "current": self.current,
                "proposed": self.proposed, "moves": self.moves, "applied_version": self.applied}


def parse_target(text: str, n_tiers: int) -> tuple[int, ...]:
    try:
        parts = tuple(int(p) for p in text.replace("%", "").split("/"))
    except ValueError:
        raise DomainError("calibrate.target", target=text[:32], tiers=n_tiers) from None
    if len(parts) != n_tiers or sum(parts) != 100 or any(p <= 0 for p in parts):
        raise DomainError("calibrate.target", target=text[:32], tiers=n_tiers)
    return parts


def _distribution(spends: list[int], thresholds: list[int], codes: list[str]) -> dict[str, Any]:
    """Members per tier when tier k needs spend >= thresholds[k-1] (codes[0] needs nothing)."""
    counts = dict.fromkeys(codes, 0)
    for spend in spends:
        tier = codes[0]
        for code, t in zip(codes[1:], thresholds):
            if spend >= t:
                tier = code
        counts[tier] += 1
    n = len(spends) or 1
    return {code: {"members": c, "share_pct": round(100 * c / n, 2)} for code, c in counts.items()}


def _tier_of(spend: int, thresholds: list[int], codes: list[str]) -> int:
    rank = 0
    for k, t in enumerate(thresholds, start=1):
        if spend >= t:
            rank = k
    return rank


def _today_thresholds(tiers) -> list[int]:
    """Today's thresholds as total spend in the window (cumulative: the steps added up)."""
    out, total = [], 0
    for lv in tiers.levels[1:]:
        if tiers.qualification == "window":
            out.append(lv.window_spend_fen)
        else:
            total += lv.upgrade_spend_fen
            out.append(total)
    return out


def propose(db, target: tuple[int, ...] | None = None, window_days: int = 365, as_of: dt.date | None = None) -> Proposal:
    program = program_store.active(db)
    tiers = program.tiers
    codes = [lv.code for lv in tiers.levels]
    if len(codes) < 2:
        raise DomainError("calibrate.one_tier")
    if target is None and len(codes) == 3:
        target = (60, 30, 10)  # the seed's pyramid
    if target is None or len(target) != len(codes) or sum(target) != 100:
        raise DomainError("calibrate.target", target="/".join(map(str, target)), tiers=len(codes))
    if not 1 <= window_days <= 3660:
        raise DomainError("calibrate.window", days=window_days)
    as_of = as_of or db.clock.today()
    start = db.clock.start_of_day(as_of - dt.timedelta(days=window_days - 1))
    end = db.clock.start_of_day(as_of + dt.timedelta(days=1))
    with db.read() as s:
        spend = dict(s.execute(
            select(Sale.member_id, func.sum(Sale.spend_fen))
            .where(Sale.member_id.is_not(None), Sale.kind.in_(("sale", "return")),
                   Sale.created_at >= start, Sale.created_at < end)
            .group_by(Sale.member_id)).all())
        people = s.execute(select(Member.id, Member.tier_code).where(Member.status == "active")).all()
    spends = [max(int(spend.get(mid) or 0), 0) for mid, _ in people]
    ranked = sorted(spends, reverse=True)
    n = len(ranked)
    if n == 0:
        raise DomainError("calibrate.no_members")
    thresholds: list[int] = []
    above = 0
    for share in reversed(target[1:]):  # the top tier first
        above += share
        k = max(1, round(n * above / 100))
        t = max(ranked[k - 1] // 100 * 100, 100)  # whole yuan; a tier never reachable with no spend
        thresholds.insert(0, t)
    for i in range(1, len(thresholds)):  # each tier strictly above the one below
        thresholds[i] = max(thresholds[i], thresholds[i - 1] + 100)
    today = _today_thresholds(tiers)
    current_rank = {code: i for i, code in enumerate(codes)}
    moves = {"up": 0, "down": 0, "same": 0}
    for (mid, tier), sp in zip(people, spends):
        new, old = _tier_of(sp, thresholds, codes), current_rank.get(tier, 0)
        moves["up" if new > old else "down" if new < old else "same"] += 1
    held = dict.fromkeys(codes, 0)
    for _, tier in people:
        held[tier if tier in held else codes[0]] += 1
    doc = _with_thresholds(program, thresholds, today, as_of)
    return Proposal(
        as_of=as_of, window_days=window_days, target=tuple(target), members=n,
        buyers=sum(1 for x in spends if x > 0), tiers=codes,
        current={"thresholds_fen": dict(zip(codes[1:], today)),
                 "by_spend": _distribution(spends, today, codes),
                 "held": {c: {"members": v, "share_pct": round(100 * v / n, 2)} for c, v in held.items()}},
        proposed={"thresholds_fen": dict(zip(codes[1:], thresholds)),
                  "by_spend": _distribution(spends, thresholds, codes),
                  "program": _program_terms(doc)},
        moves=moves, doc=doc)


def _program_terms(doc) -> dict[str, Any]:
    t = doc.tiers
    return {"version": doc.version, "qualification": t.qualification,
            "levels": [{"code": lv.code, "upgrade_spend_fen": lv.upgrade_spend_fen,
                        "window_spend_fen": lv.window_spend_fen,
                        "review": [{"min_spend_fen": b.min_spend_fen, "to": b.to} for b in lv.review]}
                       for lv in t.levels]}


def _with_thresholds(program, thresholds: list[int], today: list[int], as_of: dt.date):
    tiers = program.tiers
    levels = list(tiers.levels)
    factor = thresholds[0] / today[0] if today and today[0] else 1.0
    new_levels = [levels[0].model_copy(update={"review": [
        b.model_copy(update={"min_spend_fen": int(b.min_spend_fen * factor) // 100 * 100}) for b in levels[0].review]})]
    below = 0
    for lv, t in zip(levels[1:], thresholds):
        update: dict[str, Any] = {"review": [b.model_copy(update={"min_spend_fen": int(b.min_spend_fen * factor) // 100 * 100})
                                             for b in lv.review]}
        if tiers.qualification == "window":
            update["window_spend_fen"] = t
        else:
            update["upgrade_spend_fen"] = t - below
        below = t
        new_levels.append(lv.model_copy(update=update))
    version = f"{program.version[:28]}-cal{as_of:%Y%m%d}"
    doc = program.model_copy(update={"tiers": tiers.model_copy(update={"levels": new_levels}), "version": version})
    from pos.rules.program import parse, to_json

    return parse(to_json(doc))  # validated as any program document


def apply(db, proposal: Proposal, *, actor: str = "manager") -> str:
    program_store.install(db, proposal.doc, source="calibration", actor=actor)
    proposal.applied = proposal.doc.version
    return proposal.doc.version
