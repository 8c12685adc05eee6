"""Birthday gifts (SPEC §4 "birthday gift", §5 "issued on … birthday"): `issuance.birthday`
(coupon templates, for every member) and the tier's `TierLevel.birthday_gift` (a coupon
template or a gift of the gift catalog), issued by the daily job.

* **When**: in the member's birthday *month* — on the first daily run of that month
  (the 1st, or the first day the till or HQ runs its jobs), so a member has the whole
  month to use it, a till closed on the birthday itself misses nothing, and a 29 February
  birthday is no special case. (The birthday *day* stays the ×3 points campaign.)
* **Once a year per member**: the key is the year's issue — a coupon of source
  `birthday` issued in that calendar year (store zone), or a `bonus` lot with reason
  `birthday gift <year>`. Running the job again, or on every day of the month, issues
  nothing more.
* **What**: each template of `issuance.birthday`, then the member's tier's
  `birthday_gift` unless it is one of them already (the same coupon is not given twice).
  A `birthday_gift` naming a gift of the gift catalog is given as that gift's points
  (a `bonus` lot), so the member takes the gift at the till without paying points
  (a points + cash gift still asks its cash).
* **Who**: a standalone till in its daily job (`pos.services.daily`); a till enrolled
  with HQ leaves it to HQ (`python main.py hq birthday`, sync.server.birthday), whose
  coupons and lots come down to every till with the next pull — the till never issues too.
* A catch-up of past days (`daily --since`) gives only today's (pos.services.catch_up):
  a coupon for a birthday long past would be no gift.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from pos.loyalty import coupons, expiry, ledger
from pos.rules.program import ProgramDoc
from pos.store.models import Coupon, Member, PointsEntry

SOURCE = "birthday"


def reason(year: int) -> str:
    return f"birthday gift {year}"


def gifts_for(program: ProgramDoc, tier: str) -> list[tuple[str, str]]:
    """What a member of `tier` is given: ("coupon", template) / ("gift", gift code), in order."""
    out = [("coupon", code) for code in program.issuance.birthday]
    extra = program.tiers.level(tier).birthday_gift if program.tiers.rank(tier) >= 0 else None
    if extra and ("coupon", extra) not in out:
        out.append(("coupon", extra) if program.template(extra) is not None else ("gift", extra))
    return out


def year_bounds(clock, year: int) -> tuple[dt.datetime, dt.datetime]:
    return clock.start_of_day(dt.date(year, 1, 1)), clock.start_of_day(dt.date(year + 1, 1, 1))


def given_this_year(s: Session, coupon_model, member_ids: list[uuid.UUID], start: dt.datetime,
                    end: dt.datetime, year: int) -> set[uuid.UUID]:
    """The members of `member_ids` who already had their birthday gift this year (till or HQ tables)."""
    done: set[uuid.UUID] = set()
    for i in range(0, len(member_ids), 500):
        chunk = member_ids[i:i + 500]
        done |= set(s.scalars(select(coupon_model.member_id).where(
            coupon_model.member_id.in_(chunk), coupon_model.source == SOURCE,
            coupon_model.issued_at >= start, coupon_model.issued_at < end)))
        done |= set(s.scalars(select(PointsEntry.member_id).where(
            PointsEntry.member_id.in_(chunk), PointsEntry.kind == "bonus", PointsEntry.reason == reason(year))))
    return done


def due_members(s: Session, member_model, day: dt.date) -> list[tuple[uuid.UUID, str]]:
    """(id, tier) of the active members whose birthday month is `day`'s month."""
    return list(s.execute(select(member_model.id, member_model.tier_code).where(
        member_model.status == "active", member_model.birthday.is_not(None),
        extract("month", member_model.birthday) == day.month).order_by(member_model.id)).all())


@dataclass
class BirthdayReport:
    day: str
    members: int = 0
    coupons: int = 0
    points: int = 0
    issued: list[dict[str, Any]] = field(default_factory=list)  # {member_id, coupons: [codes], points}

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day, "members": self.members, "coupons": self.coupons, "points": self.points}


def run(db, program: ProgramDoc, day: dt.date) -> BirthdayReport:
    """Issue the birthday gifts due on business date `day` at this (standalone) till, in one transaction."""
    report = BirthdayReport(day=day.isoformat())
    if not program.issuance.birthday and not any(lv.birthday_gift for lv in program.tiers.levels):
        return report
    now = db.clock.now()
    start, end = year_bounds(db.clock, day.year)
    with db.transaction() as s:
        due = due_members(s, Member, day)
        done = given_this_year(s, Coupon, [m for m, _ in due], start, end, day.year)
        for mid, tier in due:
            what = gifts_for(program, tier)
            if mid in done or not what:
                continue
            got = {"member_id": str(mid), "coupons": [], "points": 0}
            for kind, code in what:
                if kind == "coupon":
                    got["coupons"].append(coupons.issue(s, db, program, code, member_id=mid, source=SOURCE, now=now).code)
                else:
                    g = program.gift(code)
                    if g is None or not g.points:
                        continue
                    ledger.credit(s, mid, "bonus", g.points, now=now, expires_at=expiry.lot_expiry(program, now, db.clock),
                                  test_clock=db.test_clock, store_code=db.store_code, reason=reason(day.year),
                                  program_version=program.version)
                    got["points"] += g.points
            report.members += 1
            report.coupons += len(got["coupons"])
            report.points += got["points"]
            report.issued.append(got)
    return report
