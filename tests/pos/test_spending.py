"""The spending policy in the domain (pos.services.spending) with an in-process authority:
a real class implementing `SpendingAuthority` that answers as told and records what it
was asked. Real SQLite store, real checkouts. (The HQ-backed authority is tested with a
real HQ process in tests/sync: test_sync, test_spendable*, test_faults*.)"""
from __future__ import annotations

import uuid

import pytest

from pos.errors import DomainError
from pos.services import catalog, hq_port, members, spending
from pos.services.checkout import Checkout, Tender
from pos.services.spending import Granted, Refused, SpendRequest, Unavailable
from pos.services.till import Till
from pos.store import program_store, settings
from pos.store.models import Sale

CATALOG = "barcode,name,category,price_fen,kind\n6901234567892,Towel,home,5000,regular\n"
TOWEL = "6901234567892"
PHONE = "13900139077"


class ScriptedAuthority:
    """Answers each hold with the next scripted answer (a `Granted`/`Refused`, or an
    exception to raise) and keeps every request with its timeout."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls: list[tuple[SpendRequest, float]] = []

    def hold(self, request: SpendRequest, timeout: float) -> Granted | Refused:
        self.calls.append((request, timeout))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _typed(a: spending.SpendingAuthority) -> spending.SpendingAuthority:  # the class fits the interface
    return a


@pytest.fixture
def store(db, tmp_path):
    program_store.ensure_default(db)
    f = tmp_path / "catalog.csv"
    f.write_text(CATALOG, encoding="utf-8")
    catalog.import_csv(db, f)
    mid = members.register(db, PHONE).id
    sale(db, qty=40)  # 2,000 yuan: points to spend
    return db, uuid.UUID(mid)


def enrol(db) -> None:
    settings.HQ_URL.set(db, "http://127.0.0.1:9")
    settings.HQ_TOKEN.set(db, "t0ken")


def sale(db, qty: int = 1, redeem: int = 0, authority=None):
    co = Checkout(db, authority=authority)
    co.add(TOWEL, qty)
    co.attach_member(PHONE)
    co.redeem(redeem)
    return co, co.pay([Tender("cash", co.quote().net_fen)])


def provisional(db, sale_id: str) -> bool:
    with db.read() as s:
        return s.get(Sale, uuid.UUID(sale_id)).provisional


def sales(db) -> int:
    with db.read() as s:
        return s.query(Sale).count()


def test_a_standalone_till_asks_nobody(store):
    db, mid = store
    auth = ScriptedAuthority()
    _co, r = sale(db, redeem=100, authority=auth)
    assert r.points["redeemed"] == 100 and auth.calls == [] and not provisional(db, r.sale_id)
    assert spending.authorize(db, mid, 100) == spending.Decision(True, False, False, "no_hq")
    assert spending.authorize(db, mid, 0, authority=auth).ok and auth.calls == []  # nothing spent: no question


def test_granted_online_commits_a_confirmed_sale(store):
    db, mid = store
    enrol(db)
    auth = _typed(ScriptedAuthority(Granted(uuid.uuid4(), 1500)))
    co, r = sale(db, redeem=300, authority=auth)
    (req, timeout), = auth.calls
    assert req == SpendRequest(co.sale_id, mid, 300, ()) and timeout == spending.HOLD_TIMEOUT
    assert r.points["redeemed"] == 300 and not provisional(db, r.sale_id)


def test_coupons_the_authority_does_not_know_make_the_sale_provisional(store):
    db, mid = store
    d = spending.authorize(db, mid, 0, ["C-OFFLINE-1"], authority=ScriptedAuthority(Granted(uuid.uuid4(), 0, ("C-OFFLINE-1",))))
    assert d.ok and d.online and d.provisional


def test_refused_online_nothing_is_committed(store):
    db, mid = store
    enrol(db)
    before = sales(db)
    with pytest.raises(DomainError) as exc:
        sale(db, redeem=300, authority=ScriptedAuthority(Refused("not_enough_points", -20)))
    assert exc.value.code == "sync.not_enough_points" and exc.value.params["have"] == 0  # the member owes
    assert sales(db) == before
    with pytest.raises(DomainError) as exc:
        sale(db, redeem=300, authority=ScriptedAuthority(Refused("coupon_used")))
    assert exc.value.code == "sync.coupon_refused" and "coupon_used" in exc.value.message("en")


def test_no_answer_falls_back_to_the_offline_cap_counting_unsent_provisional_spending(store):
    db, mid = store
    enrol(db)
    cap = program_store.active(db).redemption.offline_cap_points
    offline = ScriptedAuthority(Unavailable(), Unavailable(), Unavailable("hq:token_revoked"))
    _co, r = sale(db, qty=20, redeem=cap - 100, authority=offline)
    assert provisional(db, r.sale_id)  # spent without HQ's confirmation
    assert spending.offline_limit(db, mid)[0] == 100  # this till's unsent provisional spending counts
    with pytest.raises(DomainError) as exc:
        sale(db, redeem=200, authority=offline)
    assert exc.value.code == "sync.offline_cap" and exc.value.params == {"limit": 100, "cap": cap}
    d = spending.authorize(db, mid, 50, authority=offline)
    assert d.ok and not d.online and d.provisional and d.reason == "hq:token_revoked"
    assert len(offline.calls) == 3


def test_a_member_the_authority_does_not_know_yet_is_decided_offline(store):
    db, mid = store
    d = spending.authorize(db, mid, 100, authority=ScriptedAuthority(Refused("unknown_member", 0)))
    assert d.ok and not d.online and d.provisional  # joined here, registration not pushed yet


def test_an_enrolled_till_asks_the_installed_authority_and_the_till_passes_its_own(store, monkeypatch):
    db, mid = store
    enrol(db)
    installed = ScriptedAuthority(Granted(uuid.uuid4(), 900))
    monkeypatch.setattr(hq_port, "_factory", None)
    d = spending.authorize(db, mid, 100)  # enrolled, nothing installed: HQ cannot be asked
    assert d.ok and not d.online and d.provisional and d.reason == "offline"
    hq_port.install(lambda _db: installed)
    _co, r = sale(db, redeem=100)
    assert len(installed.calls) == 1 and not provisional(db, r.sale_id)
    own = ScriptedAuthority(Granted(uuid.uuid4(), 800))
    till = Till(db, authority=own)
    try:
        till.enter(TOWEL)
        till.enter(PHONE)
        q = till.redeem(100)
        till.pay([Tender("cash", q.net_fen)])
    finally:
        till.close()
    assert len(own.calls) == 1 and len(installed.calls) == 1
