"""Joining (SPEC §1): a member is created with the program's sign-up rewards —
bonus points and the new-member coupons — in the same transaction, so the
first-order benefit is there for the sale in progress."""
from __future__ import annotations

from pos.loyalty import coupons, ledger, expiry
from pos.services import members
from pos.rules.program import ProgramDoc


def join(db, program: ProgramDoc, phone: str, *, actor: str = "till", **profile) -> members.MemberSummary:
    def rewards(s, m) -> None:
        now = db.clock.now()
        points = program.membership.signup_points
        if points:
            ledger.credit(s, m.id, "bonus", points, now=now, expires_at=expiry.lot_expiry(program, now, db.clock),
                          test_clock=db.test_clock, store_code=db.store_code, reason="sign-up bonus",
                          program_version=program.version)
        for template in program.issuance.signup:
            coupons.issue(s, db, program, template, member_id=m.id, source="signup", now=now)

    return members.register(db, phone, actor=actor, on_created=rewards, **profile)
