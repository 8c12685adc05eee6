"""The till's side of the dynamic member code (issue 16 item 3; the code is
pos.rules.dynamic_code, HQ's side sync.server.member_code).

`identify(db, code)` verifies a scanned ``DM…`` code offline with the member's secret
the till pulled from HQ (the code's step ± one step of clock drift, by the till's clock)
and returns the member's id. A code of an earlier step is refused as stale
(`member_code.stale`: a screenshot, a page left open), anything else that does not verify
as forged (`member_code.invalid`).

A member this till does not have yet — joined at HQ a minute ago, not pulled yet — or has
without a secret (made here, HQ's secret not pulled yet): the till asks HQ through the port
(pos.services.hq_port: `resolve_code(code)` of the installed authority). HQ verifies the
code by its clock and answers with the member's pull rows (member, cards, coupons, ledger
rows), applied here at once in one transaction without moving the pull cursor
(pos.services.sync_apply.apply_page), so the sign-up coupon is in the wallet for the sale
in progress. HQ not reachable (or a standalone till): `member_code.unknown`.
"""
from __future__ import annotations

from sqlalchemy import select

from pos.errors import DomainError
from pos.rules import dynamic_code
from pos.services import hq_port, sync_apply
from pos.store.models import Member

_REFUSALS = {"code.stale": "member_code.stale", "code.invalid": "member_code.invalid"}


def _local(db, member_code: str) -> tuple[str | None, str | None, str | None]:
    """(id, secret, status) of the member with this code here, following merges to the survivor's id."""
    with db.read() as s:
        m = s.scalar(select(Member).where(Member.member_code == member_code))
        if m is None:
            return None, None, None
        secret, status, keep = m.code_secret, m.status, m
        for _ in range(8):
            if keep.status != "merged" or keep.merged_into is None:
                break
            nxt = s.get(Member, keep.merged_into)
            if nxt is None:
                break
            keep = nxt
        return str(keep.id), secret, (keep.status if status == "merged" else status)


def needs_hq(db, code: str) -> bool:
    """True when this code can only be checked by asking HQ: a dynamic code of a member
    this till lacks, or has without HQ's secret yet (the app asks off the GUI thread)."""
    parsed = dynamic_code.parse(code)
    if parsed is None:
        return False
    mid, secret, status = _local(db, parsed.member_code)
    return mid is None or (status != "erased" and not dynamic_code.valid_secret(secret))


def identify(db, code: str, *, authority=None) -> str:
    """The id of the member whose dynamic code this is (see the module docstring)."""
    parsed = dynamic_code.parse(code)
    if parsed is None:
        raise DomainError("member_code.invalid")
    mid, secret, status = _local(db, parsed.member_code)
    if status == "erased":  # at their request: no code of theirs identifies anyone
        raise DomainError("member_code.invalid")
    if mid is not None and dynamic_code.valid_secret(secret):
        verdict = dynamic_code.verify(code, secret, dynamic_code.step_at(db.clock.now().timestamp()))
        if verdict.status == "stale":
            raise DomainError("member_code.stale")
        if not verdict.ok or status != "active":
            raise DomainError("member_code.invalid")
        return mid
    return fetch(db, code, authority=authority)


def fetch(db, code: str, *, authority=None) -> str:
    """Ask HQ (it checks the code by its clock) and apply the member it answers with."""
    auth = authority if authority is not None else hq_port.connect(db)
    if auth is None or not hasattr(auth, "resolve_code"):
        raise DomainError("member_code.unknown")
    try:
        got = auth.resolve_code(code)
    except hq_port.Unavailable:
        raise DomainError("member_code.unknown") from None
    except hq_port.Denied as exc:
        raise DomainError(_REFUSALS.get(exc.error, "member_code.invalid")) from None
    sync_apply.apply_page(db, got["changes"], None)  # the member, their coupons and points, now
    return str(got["member_id"])


def summary(db, member_id: str):
    """The member as identification returns it (pos.services.members.MemberSummary)."""
    from pos.services import members

    with db.read() as s:
        return members._summary(members.get_active(s, member_id))


def first_order_coupons(db, member_id: str) -> list[str]:
    """The sign-up coupons still in the wallet of a member who has bought nothing yet: the
    first-order benefit the till puts on the sale in progress (soonest to expire first)."""
    import uuid

    from pos.loyalty import coupons
    from pos.store.models import Sale

    mid = uuid.UUID(str(member_id))
    with db.read() as s:
        if s.scalar(select(Sale.id).where(Sale.member_id == mid, Sale.kind == "sale").limit(1)) is not None:
            return []
        return [c.code for c in coupons.wallet(s, mid, db.clock.now()) if c.source == "signup"]
