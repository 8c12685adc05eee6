"""Members on a real SQLite store: join, identify, profile, cards, tags, notes,
unmask, merge and fuzzy duplicates."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.services import members
from pos.errors import DomainError
from pos.ids import uuid7
from pos.store.models import AuditEntry, Member, MemberBalance, MemberCard, MemberMerge, MemberNote, MemberTag, OutboxEvent, PointsAllocation, PointsEntry, StoredValueEntry

UTC = dt.timezone.utc
NASTY = "O'Brien\"; DROP TABLE members;--"


@pytest.fixture
def index(db):
    idx = members.MemberIndex(str(db.path))
    yield idx
    idx.close()


def uid(summary) -> uuid.UUID:
    return uuid.UUID(summary.id)


def events(db, kind=None):
    with db.read() as s:
        q = select(OutboxEvent).order_by(OutboxEvent.seq)
        if kind:
            q = q.where(OutboxEvent.kind == kind)
        return s.scalars(q).all()


def count(db, model):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def at(y, m, d):
    return dt.datetime(y, m, d, 16, 0, tzinfo=UTC)


# --- register -------------------------------------------------------------------

def test_register_with_phone_only(db, clock, index):
    m = members.register(db, "13800138000")
    assert m.phone_masked == "138****8000"
    assert m.tier == "member" and m.status == "active"
    assert m.member_code.startswith("M") and len(m.member_code) == 12
    assert not set(m.member_code[1:]) & set("ILOU")
    with db.read() as s:
        row = s.get(Member, uid(m))
        assert row.phone == "+8613800138000"
        assert row.phone_last4 == "8000"
        assert row.name is None and row.gender is None and row.birthday is None
        assert row.channel == "store" and row.joined_store == "S001"
        assert row.joined_at == clock.now() == row.created_at
        assert row.marketing_consent is False and row.consent_at is None
        assert row.test_clock is True  # the fixture's FixedClock is a test clock
        assert s.get(MemberBalance, row.id).points == 0
    assert [x.id for x in index.find("13800138000")] == [m.id]


def test_register_writes_outbox_event_and_audit_in_the_same_transaction(db, clock):
    m = members.register(db, "13800138000", name="王小明", card_no="9000000001", tags=["咖啡"])
    [ev] = events(db, "member.registered")
    assert ev.payload["id"] == m.id
    assert ev.payload["member_code"] == m.member_code
    assert ev.payload["store"] == "S001"
    assert ev.payload["cards"] == ["9000000001"]
    assert ev.payload["phone"] == "+8613800138000"
    assert ev.status == "pending" and ev.created_at == clock.now() and ev.test_clock is True
    with db.read() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "member.register")).all()
        assert entry.target == m.member_code


def test_failed_register_leaves_no_member_and_no_event(db):
    members.register(db, "13800138000", card_no="9000000001")
    before = (count(db, Member), count(db, OutboxEvent), count(db, AuditEntry), count(db, MemberBalance))
    with pytest.raises(DomainError) as exc:  # the card is taken: fails after the member row was flushed
        members.register(db, "13900139000", name="李四", card_no="9000000001")
    assert exc.value.code == "card.duplicate"
    assert (count(db, Member), count(db, OutboxEvent), count(db, AuditEntry), count(db, MemberBalance)) == before
    with pytest.raises(DomainError) as exc:
        members.register(db, "13900139000", tags=["bad,tag"])
    assert exc.value.code == "tag.invalid"
    assert count(db, Member) == before[0]


@pytest.mark.parametrize("spelling", ["+86 138 0013 8000", "１３８００１３８０００", "138-0013-8000", "0086 13800138000"])
def test_duplicate_phone_in_another_spelling_is_refused(db, spelling):
    first = members.register(db, "13800138000", name="王小明")
    with pytest.raises(DomainError) as exc:
        members.register(db, spelling, name="王晓明")
    err = exc.value
    assert err.code == "member.duplicate_phone"
    assert err.message("zh_CN") == f"该手机号已属于会员 {first.member_code}（138****8000）"
    assert err.message("en") == f"This phone number already belongs to member {first.member_code} (138****8000)"
    assert "13800138000" not in str(err.as_dict())
    assert count(db, Member) == 1


@pytest.mark.parametrize("phone,code", [("", "phone.empty"), ("1380013800", "phone.invalid"), ("02165529988", "phone.not_mobile")])
def test_register_refuses_bad_phones(db, phone, code):
    with pytest.raises(DomainError) as exc:
        members.register(db, phone)
    assert exc.value.code == code
    assert count(db, Member) == 0


@pytest.mark.parametrize("name", [NASTY, "%_", "100%_off\\", "'; --", "王'小\"明"])
def test_names_with_quotes_and_sql_metacharacters_are_stored_verbatim(db, index, name):
    m = members.register(db, "13800138000", name=name, address="路 %_ 'x'")
    assert m.name == name
    assert members.detail(db, m.id).name == name
    assert members.detail(db, m.id).address == "路 %_ 'x'"
    [found] = index.find("13800138000")
    assert found.name == name
    assert index.find("8000")[0].name == name
    raw = db.raw()
    try:
        assert raw.execute("SELECT count(*) FROM members").fetchone()[0] == 1  # the table is still there
        assert raw.execute("SELECT name FROM members").fetchone()[0] == name
    finally:
        raw.close()
    # '%' and '_' are not wildcards anywhere: another member is not matched by them
    members.register(db, "13900139000", name="anyone")
    assert [x.name for x in index.find("13800138000")] == [name]


# --- identification --------------------------------------------------------------

def test_identify_by_phone_last4_card_and_code(db, index):
    a = members.register(db, "13800138000", name="张三", card_no="9000000001")
    b = members.register(db, "13900008000", name="李四")
    c = members.register(db, "15012348000", name="王五")
    d = members.register(db, "13712345678", name="赵六")
    for q in ("13800138000", "+86 138 0013 8000", "１３８００１３８０００", "138-0013-8000"):
        assert [x.id for x in index.find(q)] == [a.id]
        assert [x.id for x in index.by_phone(q)] == [a.id]
    pick = index.find("8000")
    assert sorted(x.id for x in pick) == sorted([a.id, b.id, c.id])  # all of them, not just the first
    assert all(x.phone_masked.endswith("****8000") for x in pick)
    assert [x.id for x in index.find(" 5678 ")] == [d.id]
    assert index.find("0000") == []
    assert [x.id for x in index.find("9000000001")] == [a.id]
    assert [x.id for x in index.by_card("9000000001")] == [a.id]
    for q in (b.member_code, b.member_code.lower(), b.member_code.title(), f"  {b.member_code.lower()} "):
        assert [x.id for x in index.find(q)] == [b.id]
    assert [x.id for x in index.by_code(c.member_code.lower())] == [c.id]
    assert index.find("") == [] and index.find("   ") == []
    assert index.find("13600000000") == []
    assert index.find("M0000000000Z") == []
    assert index.find("9999999999") == []


@pytest.mark.parametrize("code", ["M151S22N390P", "M133341ZA7QG", "M13800138000"])
def test_member_codes_are_never_taken_for_phone_numbers(db, index, code):
    """Random codes sometimes spell a valid mobile on a phone keypad."""
    m = members.register(db, "13800138000")
    members.register(db, "15133341927")  # what the keypad reading of a code might hit
    with db.transaction() as s:
        s.get(Member, uid(m)).member_code = code
    for q in (code, code.lower()):
        assert [x.id for x in index.find(q)] == [m.id]


def test_index_sees_members_registered_after_it_opened(db, index):
    assert index.find("8000") == []
    m = members.register(db, "13800138000")
    assert [x.id for x in index.find("8000")] == [m.id]


def test_index_is_read_only(db, index):
    import sqlite3
    with pytest.raises(sqlite3.OperationalError):
        index.conn.execute("DELETE FROM members")


def test_only_active_cards_identify(db, index):
    m = members.register(db, "13800138000")
    members.add_card(db, m.id, "9000000002", kind="barcode")
    with db.transaction() as s:
        card = s.scalar(select(MemberCard).where(MemberCard.card_no == "9000000002"))
        card.status = "lost"
    assert index.find("9000000002") == []


# --- profile -----------------------------------------------------------------------

def test_profile_fields_are_stored(db):
    m = members.register(
        db, "13800138000", name="王小明", gender="M", birthday=dt.date(1990, 5, 17), region="上海",
        address="上海市南京路1号", occupation="教师", income_band="10k-20k",
        preferences={"colours": ["蓝"], "styles": ["休闲"]}, channel="miniprogram", marketing_consent=True,
    )
    d = members.detail(db, m.id)
    assert (d.name, d.gender, d.birthday, d.region, d.address) == ("王小明", "M", "1990-05-17", "上海", "上海市南京路1号")
    assert (d.occupation, d.income_band, d.channel, d.marketing_consent) == ("教师", "10k-20k", "miniprogram", True)
    assert d.preferences == {"colours": ["蓝"], "styles": ["休闲"]}


@pytest.mark.parametrize("fields,field_name", [
    ({"gender": "X"}, "gender"),
    ({"birthday": dt.date(2100, 1, 1)}, "birthday"),
    ({"birthday": "1850-01-01"}, "birthday"),
    ({"birthday": "not a date"}, "birthday"),
    ({"name": "王\x07明"}, "name"),
    ({"address": "南京路\n1号\x00"}, "address"),
    ({"occupation": "a\x1bb"}, "occupation"),
    ({"name": "x" * 65}, "name"),
    ({"shoe_size": 42}, "shoe_size"),
    ({"channel": "tiktok"}, "channel"),
    ({"preferences": {"colours": "blue"}}, "preferences"),
])
def test_profile_validation_errors_name_the_field(db, fields, field_name):
    with pytest.raises(DomainError) as exc:
        members.register(db, "13800138000", **fields)
    err = exc.value
    assert err.code == "member.bad_field"
    assert err.params["field"].split(".")[0] == field_name
    assert field_name in err.message("en") and field_name in err.message("zh_CN")
    assert count(db, Member) == 0
    m = members.register(db, "13800138000")
    with pytest.raises(DomainError) as exc:
        members.update_profile(db, m.id, **fields)
    assert exc.value.code == "member.bad_field" and exc.value.params["field"].split(".")[0] == field_name
    assert members.detail(db, m.id).name is None


def test_birthday_is_checked_against_the_store_clock(db, clock):
    """DESIGN: the injected clock lets tests travel in time, birthdays included."""
    clock.set(dt.datetime(2025, 6, 1, 10, 0))
    with pytest.raises(DomainError) as exc:
        members.register(db, "13800138000", birthday=dt.date(2026, 1, 1))  # after the store's today
    assert exc.value.params["field"] == "birthday"
    m = members.register(db, "13800138000", birthday=dt.date(2025, 6, 1))  # today is fine
    assert members.detail(db, m.id).birthday == "2025-06-01"


def test_update_profile_changes_fields_and_emits_event(db, clock):
    m = members.register(db, "13800138000", name="王小明")
    clock.advance(minutes=5)
    members.update_profile(db, m.id, gender="F", birthday="1991-02-03", marketing_consent=True, actor="cashier1")
    d = members.detail(db, m.id)
    assert (d.gender, d.birthday, d.marketing_consent, d.name) == ("F", "1991-02-03", True, "王小明")
    [ev] = events(db, "member.updated")
    assert ev.payload["fields"] == {"gender": "F", "birthday": "1991-02-03", "marketing_consent": True}
    with db.read() as s:
        row = s.get(Member, uid(m))
        assert row.updated_at == clock.now() and row.consent_at == clock.now()
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "member.update")).all()
        assert entry.actor == "cashier1" and entry.details == {"fields": ["birthday", "gender", "marketing_consent"]}
    members.update_profile(db, m.id, gender="F")  # no change, no event
    assert len(events(db, "member.updated")) == 1


def test_unknown_member(db):
    for bad in ("not-a-uuid", str(uuid7())):
        with pytest.raises(DomainError) as exc:
            members.detail(db, bad)
        assert exc.value.code == "member.not_found"


# --- cards, tags, notes -------------------------------------------------------------

def test_add_card_and_refuse_duplicates_and_bad_numbers(db, index):
    a = members.register(db, "13800138000", card_no="9000000001")
    b = members.register(db, "13900139000")
    members.add_card(db, b.id, " 9000000002 ", kind="barcode")
    assert members.detail(db, b.id).cards == [{"card_no": "9000000002", "kind": "barcode", "status": "active"}]
    with pytest.raises(DomainError) as exc:
        members.add_card(db, b.id, "9000000001")
    assert exc.value.code == "card.duplicate" and exc.value.params["member"] == a.member_code
    for bad in ("", "12 34", "x" * 33, "9000-0001", "卡'; --"):
        with pytest.raises(DomainError) as exc:
            members.add_card(db, b.id, bad)
        assert exc.value.code == "card.invalid"
    assert [x.id for x in index.find("9000000002")] == [b.id]
    assert [e.payload["card_no"] for e in events(db, "card.issued")] == ["9000000002"]


def test_register_with_the_same_tag_spelt_twice(db):
    m = members.register(db, "13800138000", tags=["咖啡", " 咖啡 ", "ＶＩＰ", "VIP"])
    assert members.detail(db, m.id).tags == [{"tag": "VIP", "source": "manual"}, {"tag": "咖啡", "source": "manual"}]


def test_tags(db):
    m = members.register(db, "13800138000", tags=["咖啡", " 孕婴 "])
    members.set_tag(db, m.id, "ＶＩＰ关怀")  # full-width folds to ASCII
    members.set_tag(db, m.id, "咖啡")  # already on: nothing happens
    members.set_tag(db, m.id, "孕婴", on=False)
    members.set_tag(db, m.id, "不存在", on=False)  # already off: nothing happens
    assert members.detail(db, m.id).tags == [{"tag": "VIP关怀", "source": "manual"}, {"tag": "咖啡", "source": "manual"}]
    assert [(e.payload["tag"], e.payload["on"]) for e in events(db, "member.tag")] == [("VIP关怀", True), ("孕婴", False)]
    members.set_tag(db, m.id, "高价值", source="derived")
    assert {"tag": "高价值", "source": "derived"} in members.detail(db, m.id).tags
    for bad in ("", "  ", "a,b", "x" * 33, "tab\there"):
        with pytest.raises(DomainError) as exc:
            members.set_tag(db, m.id, bad)
        assert exc.value.code == "tag.invalid"


def test_notes(db, clock):
    m = members.register(db, "13800138000")
    members.add_note(db, m.id, "喜欢蓝色", actor="cashier1")
    clock.advance(minutes=1)
    members.add_note(db, m.id, "  退货时态度不好  ", kind="complaint", actor="mgr")
    notes = members.detail(db, m.id).notes
    assert [(n["kind"], n["text"], n["actor"]) for n in notes] == [
        ("complaint", "退货时态度不好", "mgr"), ("note", "喜欢蓝色", "cashier1")]  # newest first
    assert len(events(db, "member.note")) == 2
    with pytest.raises(DomainError) as exc:
        members.add_note(db, m.id, "x", kind="rant")
    assert exc.value.params["field"] == "kind"
    with pytest.raises(DomainError) as exc:
        members.add_note(db, m.id, "   ")
    assert exc.value.params["field"] == "text"
    assert count(db, MemberNote) == 2


def test_unmask_phone_is_audited(db, clock):
    m = members.register(db, "+86 138 0013 8000")
    assert members.detail(db, m.id).phone_masked == "138****8000"
    assert "13800138000" not in str(members.detail(db, m.id).as_dict())
    clock.advance(minutes=3)
    assert members.unmask_phone(db, m.id, actor="manager7") == "13800138000"
    with db.read() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "member.unmask_phone")).all()
    assert entry.actor == "manager7" and entry.target == m.member_code and entry.at == clock.now()
    assert "13800138000" not in str(entry.details or "")
    members.unmask_phone(db, m.id, actor="manager7")
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "member.unmask_phone")) == 2


# --- merge -----------------------------------------------------------------------------

def _ledger_rows(db):
    with db.read() as s:
        pts = {e.id: (e.member_id, e.kind, e.points, e.available_at, e.expires_at, e.created_at)
               for e in s.scalars(select(PointsEntry))}
        alloc = {a.id: (a.debit_id, a.lot_id, a.points) for a in s.scalars(select(PointsAllocation))}
        sv = {e.id: (e.member_id, e.kind, e.amount_fen) for e in s.scalars(select(StoredValueEntry))}
    return pts, alloc, sv


@pytest.fixture
def pair(db, clock):
    """Two records of one person, both with cards and ledgers. `keep` has two lots with
    different expiries and stored value; `other` has a pending lot, debt and stored value."""
    now = clock.now()
    keep = members.register(db, "13800138000", name="王小明", region="上海", card_no="9000000001",
                            tags=["咖啡", "VIP关怀"])
    other = members.register(db, "13900139000", name="王晓明", gender="F", birthday=dt.date(1990, 5, 17),
                             region="北京", address="上海市南京路1号", card_no="9000000002",
                             tags=["咖啡", "茶"], marketing_consent=True)
    members.add_card(db, other.id, "9000000003", kind="barcode")
    members.add_note(db, other.id, "常买绿茶")
    k, o = uid(keep), uid(other)
    with db.transaction() as s:
        ledger.credit(s, k, "earn", 500, now=now, expires_at=at(2027, 6, 30))
        ledger.credit(s, k, "earn", 300, now=now, expires_at=at(2027, 12, 31))
        ledger.sv_post(s, k, "topup", 50_000, now=now)
        # other: two pending lots (shipped orders), one spent lot, then a return that left debt
        ledger.credit(s, o, "earn", 400, now=now, expires_at=at(2028, 11, 30), available_at=now + dt.timedelta(days=30))
        ledger.credit(s, o, "earn", 250, now=now, expires_at=at(2027, 5, 31), available_at=now + dt.timedelta(days=7))
        ledger.credit(s, o, "earn", 100, now=now, expires_at=at(2027, 1, 31))
        ledger.debit(s, o, "return", 150, now=now, allow_debt=True)
        ledger.sv_post(s, o, "topup", 20_000, now=now)
        ledger.sv_post(s, o, "pay", -1_234, now=now)
    with db.read() as s:
        assert [d.unpaid for d in ledger.open_debts(s, o)] == [50]
        assert ledger.points_balance(s, k) == 800 and ledger.points_balance(s, o) == 600
    return keep, other


def test_merge_folds_everything_into_the_survivor(db, clock, index, pair):
    keep, other = pair
    k, o = uid(keep), uid(other)
    with db.read() as s:
        pts_before = ledger.points_balance(s, k) + ledger.points_balance(s, o)
        sv_before = ledger.sv_balance(s, k) + ledger.sv_balance(s, o)
        other_lots = [(x.remaining, x.expires_at, x.available_at) for x in ledger.open_lots(s, o)]
    assert (pts_before, sv_before) == (1400, 68_766)
    rows_before = _ledger_rows(db)
    clock.advance(hours=2)

    result = members.merge(db, keep.id, other.id, actor="manager7")

    assert result.survivor.id == keep.id and result.merged_code == other.member_code
    assert result.cards_moved == 2 and result.notes_moved == 1 and result.tags_moved == 1
    assert result.points_moved == 600 and result.stored_value_moved_fen == 18_766
    # cards, profile gaps, tags, notes
    d = members.detail(db, keep.id)
    assert sorted(c["card_no"] for c in d.cards) == ["9000000001", "9000000002", "9000000003"]
    assert d.name == "王小明" and d.region == "上海"  # kept
    assert (d.gender, d.birthday, d.address) == ("F", "1990-05-17", "上海市南京路1号")  # gaps filled
    assert d.marketing_consent is True
    assert set(result.fields_filled) >= {"gender", "birthday", "address", "marketing_consent"}
    assert "name" not in result.fields_filled and "region" not in result.fields_filled
    assert sorted(t["tag"] for t in d.tags) == ["VIP关怀", "咖啡", "茶"]
    assert [n["text"] for n in d.notes] == ["常买绿茶"]
    # balances add up, through the ledger and the cache
    assert (d.points, d.stored_value_fen) == (pts_before, sv_before)
    with db.read() as s:
        assert ledger.points_balance(s, k) == pts_before
        assert ledger.sv_balance(s, k) == sv_before
        assert ledger.points_balance(s, o) == 0 and ledger.sv_balance(s, o) == 0
        assert ledger.open_lots(s, o) == [] and ledger.open_debts(s, o) == []
        assert ledger.open_debts(s, k) == []
        lots = [(x.remaining, x.expires_at, x.available_at) for x in ledger.open_lots(s, k)]
        assert ledger.find_drift(s) == []
        # the other record
        row = s.get(Member, o)
        assert row.status == "merged" and row.merged_into == k and row.updated_at == clock.now()
        assert s.scalars(select(MemberTag).where(MemberTag.member_id == o)).all() == []
        [mm] = s.scalars(select(MemberMerge)).all()
        assert (mm.survivor_id, mm.merged_id, mm.actor, mm.at) == (k, o, "manager7", clock.now())
        assert mm.summary["points_moved"] == 600
        [audit] = s.scalars(select(AuditEntry).where(AuditEntry.action == "member.merge")).all()
        assert audit.actor == "manager7"
    # every lot of `other` arrived with its own expiry and pending date; the 50-point
    # debt was paid by the lot that expires first
    assert other_lots == [(250, at(2027, 5, 31), clock.now() - dt.timedelta(hours=2) + dt.timedelta(days=7)),
                          (400, at(2028, 11, 30), clock.now() - dt.timedelta(hours=2) + dt.timedelta(days=30))]
    assert sorted(lots, key=lambda x: x[1]) == [
        (200, at(2027, 5, 31), other_lots[0][2]),
        (500, at(2027, 6, 30), clock.now() - dt.timedelta(hours=2)),
        (300, at(2027, 12, 31), clock.now() - dt.timedelta(hours=2)),
        (400, at(2028, 11, 30), other_lots[1][2]),
    ]
    assert sum(x[0] for x in lots) == pts_before
    # append-only: rows only grew, and no pre-existing row changed
    pts_after, alloc_after, sv_after = _ledger_rows(db)
    pts_b, alloc_b, sv_b = rows_before
    assert len(pts_after) > len(pts_b) and len(sv_after) > len(sv_b) and len(alloc_after) > len(alloc_b)
    assert {i: pts_after[i] for i in pts_b} == pts_b
    assert {i: alloc_after[i] for i in alloc_b} == alloc_b
    assert {i: sv_after[i] for i in sv_b} == sv_b
    # merge_in lots point back to the lots they continue
    with db.read() as s:
        ins = s.scalars(select(PointsEntry).where(PointsEntry.kind == "merge_in", PointsEntry.points > 0)).all()
        assert {e.source_lot_id for e in ins} <= set(pts_b)
        assert len(ins) == 2
    # outbox: one merge event with who and when
    [ev] = events(db, "member.merged")
    assert ev.payload == {"store": "S001", "survivor_id": keep.id, "merged_id": other.id, "actor": "manager7",
                          "at": clock.now().isoformat()}
    # identification: the merged member's phone, cards and code answer as the survivor
    for q in ("13900139000", "9000000002", "9000000003", other.member_code, other.member_code.lower()):
        assert [x.id for x in index.find(q)] == [keep.id], q
    assert [x.id for x in index.find("8000")] == [keep.id]
    # the merged record itself is never offered in a pick list
    assert all(x.status == "active" and x.id != other.id for x in index.find("9000"))


def test_merge_into_a_survivor_with_debt_settles_it_from_the_moved_lots(db, clock):
    keep = members.register(db, "13800138000")
    other = members.register(db, "13900139000")
    k, o = uid(keep), uid(other)
    now = clock.now()
    with db.transaction() as s:
        ledger.credit(s, k, "earn", 100, now=now, expires_at=at(2027, 3, 31))
        ledger.debit(s, k, "return", 180, now=now, allow_debt=True)  # keep owes 80
        ledger.credit(s, o, "earn", 60, now=now, expires_at=at(2027, 2, 28))
        ledger.credit(s, o, "earn", 90, now=now, expires_at=at(2027, 9, 30))
    rows_before = _ledger_rows(db)
    result = members.merge(db, keep.id, other.id, actor="mgr")
    assert result.points_moved == 150
    with db.read() as s:
        assert ledger.points_balance(s, k) == 70 and ledger.points_balance(s, o) == 0
        assert ledger.open_debts(s, k) == []
        assert [(x.remaining, x.expires_at) for x in ledger.open_lots(s, k)] == [(70, at(2027, 9, 30))]
        assert ledger.find_drift(s) == []
    pts_after, alloc_after, sv_after = _ledger_rows(db)
    assert {i: pts_after[i] for i in rows_before[0]} == rows_before[0]
    assert {i: alloc_after[i] for i in rows_before[1]} == rows_before[1]


def test_merge_moves_debt_as_debt_when_the_survivor_has_no_points(db, clock):
    keep = members.register(db, "13800138000")
    other = members.register(db, "13900139000")
    k, o = uid(keep), uid(other)
    with db.transaction() as s:
        ledger.debit(s, o, "return", 120, now=clock.now(), allow_debt=True)
    result = members.merge(db, keep.id, other.id, actor="mgr")
    assert result.points_moved == -120
    with db.read() as s:
        assert [d.unpaid for d in ledger.open_debts(s, k)] == [120]
        assert ledger.open_debts(s, o) == []
        assert ledger.points_balance(s, k) == -120 and ledger.points_balance(s, o) == 0
        assert ledger.find_drift(s) == []
    assert members.detail(db, keep.id).points == -120


def test_merge_moves_keeps_the_higher_tier_and_earliest_join(db, clock):
    a = members.register(db, "13800138000")
    clock.advance(days=-400)
    b = members.register(db, "13900139000")
    clock.advance(days=400)
    with db.transaction() as s:
        s.get(Member, uid(b)).tier_code = "svip"
    members.merge(db, a.id, b.id, actor="mgr")
    with db.read() as s:
        row = s.get(Member, uid(a))
        assert row.tier_code == "svip"
        assert row.joined_at == clock.now() - dt.timedelta(days=400)


def test_merge_gives_a_phoneless_survivor_the_other_phone(db, index):
    orphan = _phoneless(db, "王小明", "上海市南京路1号")
    m = members.register(db, "13800138000", name="王晓明")
    members.merge(db, orphan, m.id, actor="mgr")
    assert [x.id for x in index.find("13800138000")] == [orphan]
    assert [x.id for x in index.find("8000")] == [orphan]
    with db.read() as s:
        assert s.get(Member, uuid.UUID(m.id)).phone is None


def test_merge_refuses_self_and_merged_members(db, pair):
    keep, other = pair
    with pytest.raises(DomainError) as exc:
        members.merge(db, keep.id, keep.id, actor="mgr")
    assert exc.value.code == "member.merge_self"
    members.merge(db, keep.id, other.id, actor="mgr")
    third = members.register(db, "13700137000")
    before = _ledger_rows(db), count(db, MemberMerge), count(db, OutboxEvent)
    for a, b in ((keep.id, other.id), (third.id, other.id), (other.id, third.id)):
        with pytest.raises(DomainError) as exc:
            members.merge(db, a, b, actor="mgr")
        assert exc.value.code == "member.inactive"
        assert other.member_code in exc.value.message("en")
    assert (_ledger_rows(db), count(db, MemberMerge), count(db, OutboxEvent)) == before
    for fn in (lambda: members.update_profile(db, other.id, name="x"), lambda: members.add_note(db, other.id, "x"),
               lambda: members.set_tag(db, other.id, "x"), lambda: members.detail(db, other.id)):
        with pytest.raises(DomainError) as exc:
            fn()
        assert exc.value.code == "member.inactive"


def test_chained_merges_resolve_to_the_last_survivor(db, index):
    a = members.register(db, "13800138000", card_no="9000000001")
    b = members.register(db, "13900139000")
    c = members.register(db, "13700137000")
    members.merge(db, b.id, a.id, actor="mgr")
    members.merge(db, c.id, b.id, actor="mgr")
    for q in ("13800138000", "13900139000", a.member_code, b.member_code, "9000000001"):
        assert [x.id for x in index.find(q)] == [c.id], q


# --- duplicates -------------------------------------------------------------------------

def _phoneless(db, name, address, channel="import"):
    now = db.clock.now()
    mid = uuid7()
    with db.transaction() as s:
        s.add(Member(id=mid, member_code=members.new_member_code(), phone=None, phone_last4=None, name=name,
                     address=address, channel=channel, tier_code="member", joined_at=now, status="active",
                     created_at=now, updated_at=now))
        s.add(MemberBalance(member_id=mid, points=0, stored_value_fen=0, updated_at=now))
    return str(mid)


def test_duplicate_candidates_fuzzy_name_and_address(db):
    orphan = _phoneless(db, "王小明", "上海市南京路1号")
    m = members.register(db, "13800138000", name="王晓明", address="上海市 南京路 1号")
    members.register(db, "13900139000", name="李大伟", address="北京市朝阳区建国路88号")
    members.register(db, "13700137000", name="王小明", address="广州市天河路385号")  # same name, elsewhere
    cands = members.duplicate_candidates(db)
    pairs = [{c.a.id, c.b.id} for c in cands]
    assert pairs == [{orphan, m.id}]
    [c] = cands
    assert c.address_score == 100 and c.score >= 80
    assert "13800138000" not in str(c.as_dict())


def test_duplicate_candidates_none_for_a_different_person(db):
    _phoneless(db, "王小明", "上海市南京路1号")
    members.register(db, "13900139000", name="李大伟", address="上海市南京路1号")
    members.register(db, "13800138000", name="王晓明", address="北京市朝阳区建国路88号")
    assert members.duplicate_candidates(db) == []


def test_duplicate_candidates_ignore_merged_members(db):
    orphan = _phoneless(db, "王小明", "上海市南京路1号")
    m = members.register(db, "13800138000", name="王晓明", address="上海市南京路1号")
    members.merge(db, m.id, orphan, actor="mgr")
    assert members.duplicate_candidates(db) == []


def test_mask_name():
    assert members.mask_name("王小明") == "王**"
    assert members.mask_name("欧阳娜娜娜") == "欧***"
    assert members.mask_name(None) == ""
