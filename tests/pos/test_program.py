"""The loyalty program document: presets, SPEC numbers, validation messages,
JSON and TOML files, and installed versions."""
import copy
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.rules import program
from pos.store import program_store
from pos.errors import DomainError
from pos.store.models import AuditEntry, Program

VANCL = json.loads((program.PRESETS / "vancl.json").read_text(encoding="utf-8"))


def doc(**changes):
    data = copy.deepcopy(VANCL)
    data.update(changes)
    return data


def invalid(data) -> str:
    with pytest.raises(DomainError) as exc:
        program.parse(data)
    assert exc.value.code == "program.invalid"
    return exc.value.params["reason"]


# --- presets -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["vancl", "hdcrm"])
def test_presets_parse_and_round_trip(name):
    d = program.preset(name)
    assert d.version.startswith(name)
    assert d.schema_version == 1
    again = program.parse(program.to_json(d))
    assert again == d
    json.dumps(program.to_json(d))  # plain JSON, no Decimals left


def test_vancl_preset_holds_the_spec_numbers():
    d = program.preset("vancl")
    member, vip, svip = (d.tiers.level(c) for c in ("member", "vip", "svip"))
    assert [lv.code for lv in d.tiers.levels] == ["member", "vip", "svip"]
    assert (member.pay_pct, vip.pay_pct, svip.pay_pct) == (Decimal(100), Decimal(98), Decimal(95))
    assert (member.points_multiplier, vip.points_multiplier, svip.points_multiplier) == (
        Decimal(1), Decimal("1.5"), Decimal(2))
    assert d.earn.rates == {"regular": Decimal(2), "special": Decimal("0.5"), "none": Decimal(0)}
    assert d.earn.tender_rates == {"gift_card": Decimal(1)}
    assert d.earn.multiplier_combine == "multiply"
    assert d.earn.pending_days.store == 0 and d.earn.pending_days.shipped == 30
    assert (d.redemption.points_per_unit, d.redemption.unit_fen) == (100, 200)
    assert d.redemption.fen_for(100) == 200 and d.redemption.fen_for(199) == 200 and d.redemption.fen_for(99) == 0
    assert d.redemption.cash_cap_pct == 50
    # tiers by cumulative spend: VIP at 2,000 yuan, SVIP when a VIP spends 2,500
    assert d.tiers.qualification == "cumulative" and d.tiers.validity_months == 12
    assert (vip.upgrade_spend_fen, svip.upgrade_spend_fen) == (200_000, 250_000)
    # year-end review: < 1,000 → member, ≥ 1,000 VIP, ≥ 2,500 SVIP (fen), highest band first
    for lv in (vip, svip):
        assert [(b.min_spend_fen, b.to) for b in lv.review] == [(250_000, "svip"), (100_000, "vip"), (0, "member")]
    assert d.expiry.months == 12
    # worked check: an SVIP spending 100 yuan at regular price earns 400 points, worth 8 yuan
    earned = 100 * d.earn.rates["regular"] * svip.points_multiplier
    assert earned == 400 and d.redemption.fen_for(int(earned)) == 800
    assert "special" in d.member_discount.exclude_points_classes


def test_rates_and_multipliers_are_decimal_never_float():
    for name in ("vancl", "hdcrm"):
        d = program.preset(name)
        values = [*d.earn.rates.values(), *d.earn.tender_rates.values(),
                  *(lv.points_multiplier for lv in d.tiers.levels), *(lv.pay_pct for lv in d.tiers.levels),
                  *(c.multiplier for c in d.campaigns)]
        assert values and all(type(v) is Decimal for v in values)
    # a JSON number is read as the decimal it spells, not as a binary float
    data = doc()
    data["tiers"]["levels"][1]["points_multiplier"] = 1.1
    data["earn"]["rates"]["special"] = 0.3
    d = program.parse(data)
    assert d.tiers.levels[1].points_multiplier == Decimal("1.1")
    assert d.earn.rates["special"] == Decimal("0.3")
    assert type(d.earn.rates["special"]) is Decimal


def test_hdcrm_preset_is_the_window_year_end_variant():
    d = program.preset("hdcrm")
    assert d.tiers.qualification == "window"
    assert [lv.window_spend_fen for lv in d.tiers.levels[1:]] == [80_000, 150_000]
    assert d.expiry.model == "year_end"
    assert d.earn.multiplier_combine == "max"
    assert {c.code for c in d.campaigns} >= {"618", "double12", "bday-day", "bday-month"}


# --- validation messages ----------------------------------------------------------

def test_negative_rate_names_the_field():
    data = doc()
    data["earn"]["rates"]["regular"] = "-2"
    reason = invalid(data)
    assert "earn.rates.regular" in reason and "greater than or equal to 0" in reason
    with pytest.raises(DomainError) as exc:
        program.parse(data)
    assert "earn.rates.regular" in exc.value.message("en") and "earn.rates.regular" in exc.value.message("zh_CN")


def test_unknown_fields_are_refused_with_their_path():
    assert "colour" in invalid(doc(colour="red"))
    data = doc()
    data["tiers"]["levels"][1]["discount"] = "98"
    reason = invalid(data)
    assert "tiers.levels[1].discount" in reason and "Extra inputs are not permitted" in reason


def test_review_band_to_unknown_tier():
    data = doc()
    data["tiers"]["levels"][1]["review"][0]["to"] = "gold"
    reason = invalid(data)
    assert "vip" in reason and "unknown tier" in reason and "'gold'" in reason


def test_review_bands_must_be_highest_first():
    data = doc()
    data["tiers"]["levels"][2]["review"].reverse()
    assert "highest first" in invalid(data)


def test_duplicate_coupon_code():
    data = doc()
    data["coupon_templates"].append(dict(data["coupon_templates"][0]))
    reason = invalid(data)
    assert "coupon template codes must be unique" in reason and "welcome-10" in reason


@pytest.mark.parametrize("mutate,needle", [
    (lambda d: d["earn"]["rates"].pop("none"), "earn.rates"),
    (lambda d: d["earn"]["tender_rates"].update(points="1"), "never earns"),
    (lambda d: d["redemption"].update(cash_cap_pct=150), "redemption.cash_cap_pct"),
    (lambda d: d["redemption"].update(unit_fen=0), "redemption.unit_fen"),
    (lambda d: d["tiers"]["levels"][1].update(pay_pct="0"), "tiers.levels[1].pay_pct"),
    (lambda d: d["tiers"]["levels"][1].update(points_multiplier="1.23456"), "tiers.levels[1].points_multiplier"),
    (lambda d: d["tiers"]["levels"][2].update(code="VIP"), "tiers.levels[2].code"),
    (lambda d: d["tiers"]["levels"][2].update(code="vip"), "tier codes must be unique"),
    (lambda d: d["tiers"]["levels"][2].pop("upgrade_spend_fen"), "upgrade_spend_fen"),
    (lambda d: d["issuance"].update(signup=["nope"]), "unknown coupon template"),
    (lambda d: d["coupon_templates"][1].update(min_spend_fen=100), "coupon mj-300-30"),
    (lambda d: d["promotions"][0].update(off_fen=40000), "promotion mr-300-30"),
    (lambda d: d.update(version="has space"), "version"),
    (lambda d: d.pop("earn"), "earn"),
    (lambda d: d.update(schema=2), "schema"),
])
def test_other_invalid_documents(mutate, needle):
    data = doc()
    mutate(data)
    assert needle in invalid(data)


def test_non_object_document():
    for bad in ([], "x", None, 3):
        assert "object" in invalid(bad)


# --- files --------------------------------------------------------------------------

def test_load_json_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(VANCL, ensure_ascii=False), encoding="utf-8-sig")
    assert program.load_file(path) == program.preset("vancl")


@pytest.mark.parametrize("content", ['{"schema": 1,', "", "not json at all", '{"a": 1}{'])
def test_bad_json_file(tmp_path, content):
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DomainError) as exc:
        program.load_file(path)
    assert exc.value.code == "program.invalid"
    assert "broken.json" in exc.value.params["reason"] and "not valid JSON" in exc.value.params["reason"]


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(DomainError) as exc:
        program.load_file(tmp_path / "nope.json")
    assert exc.value.code == "program.invalid"
    path = tmp_path / "latin.json"
    path.write_bytes(b'{"name": "\xe9"}')
    with pytest.raises(DomainError) as exc:
        program.load_file(path)
    assert exc.value.code == "program.invalid"
    with pytest.raises(DomainError):
        program.preset("no-such-preset")


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(data: dict) -> str:
    """Enough of a TOML writer for a program document: one inline value per key."""
    return "".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in data.items())


@pytest.mark.parametrize("name", ["vancl", "hdcrm"])
def test_toml_file_accepted(tmp_path, name):
    data = json.loads((program.PRESETS / f"{name}.json").read_text(encoding="utf-8"))
    path = tmp_path / f"{name}.toml"
    path.write_text("# converted from the JSON preset\n" + to_toml(data), encoding="utf-8")
    assert program.load_file(path) == program.preset(name)


def test_toml_floats_become_exact_decimals(tmp_path):
    data = doc()
    data["tiers"]["levels"][1]["points_multiplier"] = 1.5
    data["earn"]["rates"]["special"] = 0.1
    path = tmp_path / "p.TOML"
    path.write_text(to_toml(data), encoding="utf-8")
    d = program.load_file(path)
    assert d.tiers.levels[1].points_multiplier == Decimal("1.5")
    assert d.earn.rates["special"] == Decimal("0.1")


@pytest.mark.parametrize("filename", ["p.toml", "P.TOML"])
def test_bad_toml_file(tmp_path, filename):
    path = tmp_path / filename
    path.write_text("schema = 1\nversion = \n", encoding="utf-8")
    with pytest.raises(DomainError) as exc:
        program.load_file(path)
    assert "not valid TOML" in exc.value.params["reason"]
    path.write_text(to_toml(doc(colour="red")), encoding="utf-8")
    with pytest.raises(DomainError) as exc:
        program.load_file(path)
    assert "colour" in exc.value.params["reason"]


# --- installed versions -----------------------------------------------------------

def test_no_program_installed(db):
    with pytest.raises(DomainError) as exc:
        program_store.active(db)
    assert exc.value.code == "program.none"


def test_ensure_default_installs_the_vancl_preset_once(db):
    d = program_store.ensure_default(db)
    assert d.version == program.preset("vancl").version
    assert program_store.active(db) == d
    assert program_store.ensure_default(db) == d
    with db.read() as s:
        rows = s.scalars(select(Program)).all()
        assert [(r.version, r.source, r.active) for r in rows] == [(d.version, "preset", True)]
        assert rows[0].installed_at is not None
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "program.install")) == 1


def test_install_switches_the_active_version(db):
    vancl, hdcrm = program.preset("vancl"), program.preset("hdcrm")
    program_store.install(db, vancl, source="preset")
    program_store.install(db, hdcrm, source="file", actor="mgr")
    assert program_store.active(db).version == hdcrm.version
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Program).where(Program.active.is_(True))) == 1
    program_store.install(db, vancl, source="hq")  # re-installing an old version re-activates it, keeps one row
    assert program_store.active(db).version == vancl.version
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Program)) == 2
        assert s.get(Program, vancl.version).source == "preset"
    assert program_store.by_version(db, hdcrm.version) == hdcrm
    program_store.install(db, hdcrm, activate=False)
    assert program_store.active(db).version == vancl.version
    with pytest.raises(DomainError):
        program_store.by_version(db, "nope-1")
