"""The dynamic member code at the till (pos.services.member_code through Till.enter), on a
real SQLite store: accepted now and within a step of drift, refused after its window and
when forged — with a clear message — and, for a member this till does not have, HQ is
asked (its refusals said the same way; no HQ: said so)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update

from pos.rules import dynamic_code
from pos.services import catalog, hq_port, joining, member_code
from pos.services.till import Till
from pos.store import program_store
from pos.store.models import Member

SECRET = "5e" * 32
PRODUCT = "6901234567892"


@pytest.fixture
def store(db, tmp_path):
    program = program_store.ensure_default(db)
    csv = tmp_path / "catalog.csv"
    csv.write_text(f"barcode,name,category,price_fen,kind\n{PRODUCT},Towel,home,20000,regular\n")
    assert catalog.import_csv(db, csv).ok
    m = joining.join(db, program, "13800138000")
    with db.transaction() as s:  # as HQ's pull row brings it
        s.execute(update(Member).where(Member.id == uuid.UUID(m.id)).values(code_secret=SECRET))
    return db, m


def code_now(db, member_code_: str, secret: str = SECRET, steps_ago: int = 0) -> str:
    return dynamic_code.make(member_code_, secret, dynamic_code.step_at(db.clock.now().timestamp()) - steps_ago)


def test_accepted_now_and_within_a_step_of_drift(store, clock):
    db, m = store
    till = Till(db, lang="en")
    try:
        code = code_now(db, m.member_code)
        clock.advance(seconds=30)  # the till's clock a step ahead of HQ's: still this code
        out = till.enter(code)
        assert out.kind == "member", out.message
        assert till.checkout.member_id == m.id
        assert code not in out.message and SECRET not in out.message
    finally:
        till.close()


def test_first_order_gets_the_sign_up_coupons(store):
    db, m = store
    wanted = member_code.first_order_coupons(db, m.id)
    till = Till(db, lang="en")
    try:
        till.enter(PRODUCT)
        assert till.enter(code_now(db, m.member_code)).kind == "member"
        assert wanted and set(wanted) <= set(till.checkout.coupon_codes)
        q = till.last_quote  # the shipped program's welcome coupon takes money off this sale
        assert wanted[0] in q.coupons and q.net_fen < q.gross_fen
    finally:
        till.close()


def test_refused_after_its_window(store, clock):
    db, m = store
    code = code_now(db, m.member_code)
    clock.advance(seconds=61)  # two steps on: a screenshot
    for lang, words in (("en", "expired"), ("zh_CN", "过期")):
        till = Till(db, lang=lang)
        try:
            out = till.enter(code)
            assert (out.kind, out.error_code) == ("error", "member_code.stale")
            assert words in out.message and till.checkout.member_id is None
        finally:
            till.close()
    clock.advance(days=1)  # tomorrow's reuse of today's screenshot
    till = Till(db, lang="en")
    try:
        assert till.enter(code).error_code == "member_code.stale"
    finally:
        till.close()


def test_refused_when_forged(store):
    db, m = store
    code = code_now(db, m.member_code)
    forged = [code[:4] + ("1" if code[4] != "1" else "2") + code[5:],  # one digit changed
              code_now(db, m.member_code, secret="00" * 32),  # made without the member's secret
              code[:4 + dynamic_code.DIGITS] + "M" + "0" * 11]  # another member code on these digits
    for lang, words in (("en", "not valid"), ("zh_CN", "无效")):
        till = Till(db, lang=lang)
        try:
            for bad in forged:
                out = till.enter(bad)
                assert out.kind == "error", bad
                if out.error_code != "member_code.unknown":  # the last one names nobody here
                    assert out.error_code == "member_code.invalid" and words in out.message
                assert till.checkout.member_id is None
        finally:
            till.close()


def test_unknown_member_without_hq_says_so(store):
    db, _ = store
    code = dynamic_code.make("MNOBODYHERE1", SECRET, dynamic_code.step_at(db.clock.now().timestamp()))
    till = Till(db, lang="en")  # a standalone till: the installed authority cannot reach an HQ
    try:
        out = till.enter(code)
        assert out.error_code == "member_code.unknown" and "HQ cannot be reached" in out.message
    finally:
        till.close()


class _Refusing:
    def __init__(self, error):
        self.error = error

    def resolve_code(self, code):
        raise hq_port.Denied(self.error) if self.error else hq_port.Unavailable("offline")


@pytest.mark.parametrize("error,want", [("code.stale", "member_code.stale"), ("code.invalid", "member_code.invalid"),
                                        (None, "member_code.unknown")])
def test_hq_refusals_are_said_as_the_tills(store, error, want):
    db, _ = store
    code = dynamic_code.make("MNOBODYHERE1", SECRET, dynamic_code.step_at(db.clock.now().timestamp()))
    with pytest.raises(Exception) as exc:
        member_code.identify(db, code, authority=_Refusing(error))
    assert getattr(exc.value, "code", None) == want


def test_a_member_without_a_secret_yet_is_asked_of_hq(store):
    """A member made here whose secret HQ has not sent yet: the till asks HQ (here: refused)."""
    db, m = store
    with db.transaction() as s:
        s.execute(update(Member).where(Member.id == uuid.UUID(m.id)).values(code_secret=None))
    asked = []

    class Asked:
        def resolve_code(self, code):
            asked.append(code)
            raise hq_port.Unavailable("offline")

    code = code_now(db, m.member_code)
    with pytest.raises(Exception) as exc:
        member_code.identify(db, code, authority=Asked())
    assert asked == [code] and exc.value.code == "member_code.unknown"


def test_an_erased_members_code_identifies_nobody(store):
    from pos.services import privacy

    db, m = store
    code = code_now(db, m.member_code)
    privacy.erase(db, m.id, actor="test")
    with db.read() as s:
        assert s.get(Member, uuid.UUID(m.id)).code_secret is None
    till = Till(db, lang="en")
    try:
        assert till.enter(code).error_code == "member_code.invalid"
        assert not till.member_code_needs_hq(code)
    finally:
        till.close()
