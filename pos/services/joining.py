"""Joining (SPEC §1): a member is created with the program's sign-up rewards —
bonus points and the new-member coupons — in the same transaction, so the
first-order benefit is there for the sale in progress. The rules (once per
person, the profile-completion bonus of a full form) are pos.services.member_bonuses."""
from __future__ import annotations

from pos.services import member_bonuses, members
from pos.rules.program import ProgramDoc


def join(db, program: ProgramDoc | None, phone: str, *, actor: str = "till", rewards: list | None = None,
         **profile) -> members.MemberSummary:
    """Register with the sign-up rewards (none without a program). `rewards`, when given,
    receives the `member_bonuses.Award`s; `profile` may carry card_no, tags, referrer_id."""
    def on_created(s, m) -> None:
        got = member_bonuses.joined(s, db, program, m)
        if rewards is not None:
            rewards.extend(got)

    return members.register(db, phone, actor=actor, on_created=on_created if program is not None else None, **profile)
