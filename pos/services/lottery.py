"""The points lottery (`bonuses.lottery_cost`, `bonuses.lottery_prizes`) and campaign
draws among the members who bought in a campaign's window (HDCRM's 根据会员手机号抽奖赠送积分).

Reproducible and auditable by commit-reveal, so a manager can prove a result was not chosen:

1. *Commit* (its own transaction): a fresh 32-byte seed from `secrets` is made and only
   its SHA-256 is recorded (`lottery_draws.seed_hash`, status `committed`) together with
   what will be drawn from (`entries`: the prize table, or the sorted candidate members
   and the award), and the outbox event `lottery.committed` carries the hash to HQ.
2. *Draw* (a second transaction): the outcome is a pure function of the seed, the draw
   id and the entries (`outcome_of`); the cost is debited and the prize credited through
   the ledger, the seed and outcome recorded (status `drawn`), `lottery.drawn` sent.

`verify(draw_id)` checks SHA-256(seed) = seed_hash and recomputes the outcome from the
recorded seed and entries. A failure between the two steps leaves the draw `void`
(nothing spent). The roll: SHA-256(seed ‖ draw id ‖ i) as a 256-bit integer modulo the
range (a bias below range / 2^256).

What it proves: the outcome follows from a seed that was fixed, and its hash sent, before
the draw; and nobody can change the recorded outcome unseen. What it cannot stop alone:
someone with write access to the till's file making seeds until one pleases before
committing — HQ's copy of the events (one commitment per draw, in the till's order) is
the check against that.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from pos import changes
from pos.errors import DomainError
from pos.ids import uuid7
from pos.loyalty import coupons, expiry, ledger
from pos.rules import holidays, limits, phones
from pos.rules.program import ProgramDoc
from pos.services import points_uses
from pos.services.members import get_active
from pos.store import program_store
from pos.store.models import LotteryDraw, Member, Sale
from pos.store.outbox import audit, emit

MAX_WINNERS = 1000


# --- the pure part: seed -> outcome ---------------------------------------------------------------

def seed_hash(seed_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def roll(seed_hex: str, draw_id: str, i: int, n: int) -> int:
    """The i-th number in [0, n) of a draw."""
    if n <= 0:
        raise ValueError("empty range")
    h = hashlib.sha256(bytes.fromhex(seed_hex) + uuid.UUID(draw_id).bytes + i.to_bytes(4, "big")).digest()
    return int.from_bytes(h, "big") % n


def pick_prize(seed_hex: str, draw_id: str, prizes: list[dict]) -> dict:
    """The prize of a points draw: prize table rows weighted by `weight`, in table order."""
    total = sum(int(p["weight"]) for p in prizes)
    r = roll(seed_hex, draw_id, 0, total)
    for p in prizes:
        r -= int(p["weight"])
        if r < 0:
            return p
    raise AssertionError("unreachable")


def pick_winners(seed_hex: str, draw_id: str, candidates: list[str], n: int) -> list[str]:
    """n winners among the candidates (in the recorded order): a partial Fisher–Yates shuffle."""
    pool = list(candidates)
    n = min(n, len(pool))
    for i in range(n):
        j = i + roll(seed_hex, draw_id, i, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:n]


def outcome_of(kind: str, seed_hex: str, draw_id: str, entries: dict) -> dict:
    """What a draw gives, from its seed and entries alone (what `verify` recomputes)."""
    if kind == "points":
        p = pick_prize(seed_hex, draw_id, entries["prizes"])
        return {"prize": p["code"], "points": p.get("points"), "coupon": p.get("coupon"), "gift": p.get("gift")}
    return {"winners": pick_winners(seed_hex, draw_id, entries["candidates"], int(entries["winners"]))}


# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Drawn:
    draw_id: str
    member_id: str
    cost: int
    prize: str
    name_zh: str
    name_en: str
    points: int | None
    coupon_template: str | None
    coupon_code: str | None
    gift: str | None
    thanks: bool
    seed_hash: str
    seed: str
    points_balance: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CampaignDrawn:
    draw_id: str
    campaign: str
    window: dict
    candidates: int
    winners: list[dict] = field(default_factory=list)  # member_id, member_code, phone_masked, points, coupon_code
    seed_hash: str = ""
    seed: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verified:
    draw_id: str
    kind: str
    ok: bool
    seed_matches: bool
    outcome_matches: bool
    seed_hash: str
    seed: str
    recorded: dict
    recomputed: dict
    committed_at: str
    drawn_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- committing and revealing ----------------------------------------------------------------------

def _commit(db, *, kind: str, entries: dict, program: ProgramDoc, member_id: uuid.UUID | None = None,
            campaign: str | None = None, cost: int = 0, actor: str = "till", seed: str | None = None) -> tuple[uuid.UUID, str]:
    """Step 1: record the seed's hash (and what is drawn from) before any drawing."""
    seed = seed or secrets.token_hex(32)
    draw_id = uuid7()
    now = db.clock.now()
    with db.transaction() as s:
        s.add(LotteryDraw(id=draw_id, kind=kind, member_id=member_id, campaign=campaign, program_version=program.version,
                          cost_points=cost, seed_hash=seed_hash(seed), seed=None, entries=entries, outcome=None,
                          status="committed", committed_at=now, drawn_at=None, store_code=db.store_code,
                          actor=actor[:32], test_clock=db.test_clock))
        emit(s, db, "lottery.committed", {"id": str(draw_id), "kind": kind, "member_id": str(member_id) if member_id else None,
                                          "campaign": campaign, "seed_hash": seed_hash(seed),
                                          "entries_hash": _entries_hash(entries), "committed_at": now.isoformat()})
    return draw_id, seed


def _entries_hash(entries: dict) -> str:
    import json

    return hashlib.sha256(json.dumps(entries, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def _void(db, draw_id: uuid.UUID, why: str) -> None:
    with db.transaction() as s:
        row = s.get(LotteryDraw, draw_id)
        if row is not None and row.status == "committed":
            row.status = "void"
            row.outcome = {"void": why[:200]}


def _reveal(s, db, row: LotteryDraw, seed: str, outcome: dict) -> None:
    now = db.clock.now()
    row.seed, row.outcome, row.status, row.drawn_at = seed, outcome, "drawn", now
    emit(s, db, "lottery.drawn", {"id": str(row.id), "kind": row.kind, "seed": seed, "outcome": outcome,
                                  "drawn_at": now.isoformat()})


def _award(s, db, program: ProgramDoc, mid: uuid.UUID, *, points: int | None, coupon: str | None,
           reason: str, source: str):
    """Points (a bonus lot with the program's expiry) and/or a coupon for a winner."""
    now = db.clock.now()
    code = None
    if points:
        ledger.credit(s, mid, "bonus", points, now=now, expires_at=expiry.lot_expiry(program, now, db.clock),
                      test_clock=db.test_clock, store_code=db.store_code, reason=reason[:200],
                      program_version=program.version)
    if coupon:
        code = coupons.issue(s, db, program, coupon, member_id=mid, source=source, now=now).code
    return code


# --- the points lottery ---------------------------------------------------------------------------

def prize_table(program: ProgramDoc) -> list[dict]:
    return [p.model_dump(mode="json") for p in program.bonuses.lottery_prizes]


def draw(db, member_id: str, *, program: ProgramDoc | None = None, actor: str = "till",
         seed: str | None = None) -> Drawn:
    """The member spends `bonuses.lottery_cost` points for one draw of the prize table.
    (`seed`: tests only — a known seed gives a known outcome.)"""
    program = program or program_store.active(db)
    b = program.bonuses
    if b.lottery_cost <= 0 or not b.lottery_prizes:
        raise DomainError("lottery.disabled")
    cost = b.lottery_cost
    with db.read() as s:
        mid = get_active(s, member_id).id
    hold = points_uses.spend_check(db, mid, cost, program)
    entries = {"prizes": prize_table(program), "cost": cost}
    draw_id, seed = _commit(db, kind="points", entries=entries, program=program, member_id=mid, cost=cost,
                            actor=actor, seed=seed)
    outcome = outcome_of("points", seed, str(draw_id), entries)
    prize = next(p for p in b.lottery_prizes if p.code == outcome["prize"])
    try:
        with db.transaction() as s:
            row = s.get(LotteryDraw, draw_id)
            get_active(s, mid)
            debit = points_uses._debit(s, db, mid, cost, f"lottery draw {draw_id}", program)
            code = _award(s, db, program, mid, points=prize.points, coupon=prize.coupon,
                          reason=f"lottery prize {prize.code} (draw {draw_id})", source="lottery")
            recorded = dict(outcome, coupon_code=code)
            _reveal(s, db, row, seed, recorded)
            audit(s, db, actor, "lottery.draw", str(mid), draw=str(draw_id), prize=prize.code)
            s.flush()
            points_uses.capture(s, db, hold_id=hold, member_id=mid, points=cost, use="lottery", entry_id=debit.id)
            balance = ledger.points_balance(s, mid)
    except DomainError as exc:
        _void(db, draw_id, exc.code)
        raise
    changes.publish("members", [mid])
    if code:
        changes.publish("coupons", [mid])
    return Drawn(str(draw_id), str(mid), cost, prize.code, prize.name.zh, prize.name.en, prize.points, prize.coupon,
                 code, prize.gift, prize.thanks, seed_hash(seed), seed, balance)


# --- campaign draws -------------------------------------------------------------------------------

def _last_window(db, recur) -> tuple[dt.datetime, dt.datetime] | None:
    """A yearly campaign's window in progress today, else its last one (business dates)."""
    today = db.clock.today()
    found = [w for year in range(today.year - 1, today.year + 2)
             if (w := holidays.window(recur.calendar, recur.month, recur.day, recur.offset_days, recur.days, year))
             and w[0] <= today]
    if not found:
        return None
    first, after = max(found)
    return db.clock.start_of_day(first), db.clock.start_of_day(after)


def _window(db, program: ProgramDoc, campaign: str, start: dt.datetime | None, end: dt.datetime | None):
    c = next((c for c in program.campaigns if c.code == campaign), None)
    if c is None:
        raise DomainError("campaign.unknown", campaign=str(campaign)[:32])
    last = _last_window(db, c.recur) if getattr(c, "recur", None) is not None and not (start and end) else None
    start = start or c.window.start or (last[0] if last else None)
    end = end or c.window.end or (last[1] if last else None)
    if start is None or end is None:
        raise DomainError("campaign.no_window", campaign=c.code)
    return c, start, end


def candidates(db, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Active members with a sale in [start, end) at this store, by id (the recorded order)."""
    with db.read() as s:
        ids = s.scalars(select(Sale.member_id).join(Member, Member.id == Sale.member_id).where(
            Sale.kind == "sale", Sale.member_id.is_not(None), Sale.created_at >= start, Sale.created_at < end,
            Member.status == "active").distinct()).all()
    return sorted(str(i) for i in ids)


def campaign_draw(db, campaign: str, winners: int, *, points: int = 0, coupon: str | None = None,
                  start: dt.datetime | None = None, end: dt.datetime | None = None,
                  program: ProgramDoc | None = None, actor: str = "cli", seed: str | None = None) -> CampaignDrawn:
    """`winners` members drawn among those who bought in the campaign's window (a yearly
    campaign's window in progress or its last one; or [start, end) as given); each gets
    `points` and/or a coupon of `coupon`. Once per campaign window."""
    program = program or program_store.active(db)
    winners = points_uses._check_int(winners, "winners")
    if not 1 <= winners <= MAX_WINNERS:
        raise DomainError("campaign.winners", max=MAX_WINNERS, winners=winners)
    points = points_uses._check_int(points or 0, "points")
    limits.check_int(points, "points", 0, limits.POINTS_MAX)
    if not points and not coupon:
        raise DomainError("campaign.no_award")
    if coupon and program.template(coupon) is None:
        raise DomainError("coupon.template", template=str(coupon)[:32])
    c, start, end = _window(db, program, campaign, start, end)
    window = {"start": start.isoformat(), "end": end.isoformat()}
    with db.read() as s:  # once per campaign window (a yearly campaign: once a year)
        done = [r.id for r in s.scalars(select(LotteryDraw).where(
            LotteryDraw.kind == "campaign", LotteryDraw.campaign == c.code, LotteryDraw.status == "drawn"))
            if (r.entries or {}).get("window") == window]
    if done:
        raise DomainError("campaign.drawn", campaign=c.code, draw=str(done[0]))
    pool = candidates(db, start, end)
    if not pool:
        raise DomainError("campaign.no_candidates", campaign=c.code)
    entries = {"candidates": pool, "winners": winners, "window": window, "points": points or None, "coupon": coupon}
    draw_id, seed = _commit(db, kind="campaign", entries=entries, program=program, campaign=c.code, actor=actor, seed=seed)
    outcome = outcome_of("campaign", seed, str(draw_id), entries)
    won = []
    try:
        with db.transaction() as s:
            row = s.get(LotteryDraw, draw_id)
            for mid_text in outcome["winners"]:
                m = s.get(Member, uuid.UUID(mid_text))
                code = _award(s, db, program, m.id, points=points or None, coupon=coupon,
                              reason=f"campaign {c.code} draw {draw_id}", source="campaign")
                won.append({"member_id": mid_text, "member_code": m.member_code, "phone_masked": phones.mask(m.phone_masked or m.phone),
                            "points": points or 0, "coupon_code": code})
            _reveal(s, db, row, seed, dict(outcome, coupons={w["member_id"]: w["coupon_code"] for w in won if w["coupon_code"]}))
            audit(s, db, actor, "campaign.draw", c.code, draw=str(draw_id), winners=len(won), candidates=len(pool))
            s.flush()
            points_uses.capture(s, db)
    except DomainError as exc:
        _void(db, draw_id, exc.code)
        raise
    changes.publish("members", [w["member_id"] for w in won])
    return CampaignDrawn(str(draw_id), c.code, window, len(pool), won, seed_hash(seed), seed)


# --- auditing -----------------------------------------------------------------------------------------

def verify(db, draw_id: str) -> Verified:
    """Recompute a draw from its recorded seed and entries: the seed must hash to the
    hash committed before the draw, and the outcome must be what was recorded."""
    try:
        did = uuid.UUID(str(draw_id).strip())
    except ValueError:
        raise DomainError("lottery.not_found", draw=str(draw_id)[:40]) from None
    with db.read() as s:
        row = s.get(LotteryDraw, did)
        if row is None:
            raise DomainError("lottery.not_found", draw=str(did))
        if row.status != "drawn" or not row.seed:
            raise DomainError("lottery.not_drawn", draw=str(did), status=row.status)
        recorded = dict(row.outcome or {})
        seed_ok = seed_hash(row.seed) == row.seed_hash
        again = outcome_of(row.kind, row.seed, str(row.id), row.entries)
        mine = {k: recorded.get(k) for k in again}
        return Verified(str(row.id), row.kind, seed_ok and mine == again, seed_ok, mine == again, row.seed_hash, row.seed,
                        recorded, again, row.committed_at.isoformat(), row.drawn_at.isoformat() if row.drawn_at else None)
