"""Birthday gifts for the whole chain, run at HQ (`python main.py hq birthday --date D`).

The rule is the till's (`pos.services.birthday`: in the birthday month, once a year per
member, `issuance.birthday` then the tier's `birthday_gift`), run where every store's
members and coupons are — as HQ's expiry is (sync/server/expiry.py): an enrolled till's
daily job leaves it to HQ (it says "at HQ"), so a member is never given the gift twice by
two tills. HQ's coupons (issued store `HQ`) and gift-point lots (store code `HQ`) go to the
change log in the same transaction and come down to every till with the next pull.
Running it twice, or every day of the month, issues nothing the second time: the
members' balance rows are locked first, so two runs at once do not both issue."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from pos.clock import Clock
from pos.ids import uuid7
from pos.loyalty import coupons as coupon_rules
from pos.loyalty import expiry as expiry_rules
from pos.loyalty import ledger
from pos.services import birthday as rules

from . import changes
from .common import lock_balances, log_hq_ledger_rows, now_utc
from .expiry import DEFAULT_TZ, active_program
from .models import HQ_STORE, Coupon, Member


@dataclass
class HQBirthdayReport:
    day: str
    program: str
    members: int = 0
    coupons: int = 0
    points: int = 0
    issued: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day, "program": self.program, "members": self.members, "coupons": self.coupons,
                "points": self.points}


def run(hq, day: dt.date, *, tz: str = DEFAULT_TZ, now: dt.datetime | None = None,
        only: list[uuid.UUID] | None = None) -> HQBirthdayReport:
    """Issue the birthday gifts due on business date `day` (chain zone), in one transaction.
    `only`: just these members (a support case; tests that share an HQ)."""
    clock = Clock(tz)
    now = now or now_utc()
    start, end = rules.year_bounds(clock, day.year)
    with hq.transaction() as s:
        log_hq_ledger_rows(s)  # gift points go to the change log for the tills
        doc = active_program(s)
        report = HQBirthdayReport(day=day.isoformat(), program=doc.version)
        if not doc.issuance.birthday and not any(lv.birthday_gift for lv in doc.tiers.levels):
            return report
        due = rules.due_members(s, Member, day)
        if only is not None:
            wanted = {uuid.UUID(str(m)) for m in only}
            due = [(m, t) for m, t in due if m in wanted]
        lock_balances(s, [m for m, _ in due])
        done = rules.given_this_year(s, Coupon, [m for m, _ in due], start, end, day.year)
        for mid, tier in due:
            what = rules.gifts_for(doc, tier)
            if mid in done or not what:
                continue
            got = {"member_id": str(mid), "coupons": [], "points": 0}
            for kind, code in what:
                if kind == "coupon":
                    t = doc.template(code)
                    c = Coupon(id=uuid7(), code=coupon_rules.new_code(), template=code, member_id=mid, valid_from=now,
                               valid_to=clock.start_of_day(clock.local(now).date() + dt.timedelta(days=t.validity_days)),
                               source=rules.SOURCE, issued_at=now, issued_store=HQ_STORE, test_clock=False)
                    s.add(c)
                    changes.record(s, "coupon", c.code)
                    got["coupons"].append(c.code)
                else:
                    g = doc.gift(code)
                    if g is None or not g.points:
                        continue
                    ledger.credit(s, mid, "bonus", g.points, now=now, expires_at=expiry_rules.lot_expiry(doc, now, clock),
                                  store_code=HQ_STORE, reason=rules.reason(day.year), program_version=doc.version)
                    got["points"] += g.points
            report.members += 1
            report.coupons += len(got["coupons"])
            report.points += got["points"]
            report.issued.append(got)
        changes.flush(s)
    return report
