import json

import pytest
from hypothesis import given, settings, strategies as st

from pos.rules.barcodes import DEFAULT_RULES, KINDS, RESULT_KINDS, BarcodeRule, Nomenclature, NomenclatureError, ScanResult, ean_check_digit, is_valid_gs1

NOM = Nomenclature.default()
PRICE_CODE = "2312345012500"  # 23 | 12345 | 012.50 yuan | check 0
PRICE_BASE = "2312345000002"  # value zeroed, check recomputed
WEIGHT_CODE = "2154321012346"  # 21 | 54321 | 01.234 kg | check 6
WEIGHT_BASE = "2154321000008"


def with_check(payload: str) -> str:
    return payload + str(ean_check_digit(payload))


def corrupt(code: str, pos: int) -> str:
    return code[:pos] + str((int(code[pos]) + 1) % 10) + code[pos + 1:]


# --- helpers ---------------------------------------------------------------

@pytest.mark.parametrize("payload,check", [
    ("690123456789", 2), ("400638133393", 1),  # EAN-13 (published examples)
    ("9638507", 4),  # EAN-8
    ("03600029145", 2),  # UPC-A
    ("231234501250", 0), ("231234500000", 2), ("215432101234", 6), ("215432100000", 8),
])
def test_ean_check_digit_known_codes(payload, check):
    assert ean_check_digit(payload) == check


@pytest.mark.parametrize("bad", ["", "12a4", "１２３", "٣٤٥"])
def test_ean_check_digit_rejects_non_ascii_digits(bad):
    with pytest.raises(ValueError):
        ean_check_digit(bad)


def test_is_valid_gs1():
    for good in ("6901234567892", "4006381333931", "96385074", "036000291452", PRICE_CODE):
        assert is_valid_gs1(good)
    for bad in ("6901234567893", "96385075", "036000291453", "", "123", "69012345678９2", None):
        assert not is_valid_gs1(bad)


# --- default rules ---------------------------------------------------------

def test_default_rule_order():
    assert [r.name for r in NOM.rules] == [
        "cashier", "member_code", "member_card", "coupon", "weight", "price",
        "ean13", "ean8", "upca", "internal", "dynamic_member", "parcel_label", "pickup_code"]
    assert NOM.rules == DEFAULT_RULES


@pytest.mark.parametrize("code,kind,rule,base,value", [
    ("CSHA01", "cashier", "cashier", "CSHA01", None),
    ("M1234567890AB", "member", "member_code", "M1234567890AB", None),
    ("9123456789", "member", "member_card", "9123456789", None),
    ("CPSUMMER24", "coupon", "coupon", "CPSUMMER24", None),
    (WEIGHT_CODE, "weight", "weight", WEIGHT_BASE, 1234),
    (PRICE_CODE, "price", "price", PRICE_BASE, 1250),
    ("6901234567892", "product", "ean13", "6901234567892", None),
    ("4006381333931", "product", "ean13", "4006381333931", None),
    ("96385074", "product", "ean8", "96385074", None),
    ("036000291452", "product", "upca", "0036000291452", None),
    ("SKU-ABC-001", "product", "internal", "SKU-ABC-001", None),
    ("PCL0123456789", "parcel", "parcel_label", "PCL0123456789", None),  # a courier's label (issue 18)
    ("PU12345678", "pickup", "pickup_code", "PU12345678", None),  # a customer's pickup code
])
def test_default_rules(code, kind, rule, base, value):
    r = NOM.classify(code)
    assert r == ScanResult(code, kind, rule, base, value, None)
    assert r.ok


def test_price_and_weight_base_codes_are_valid_ean13():
    assert is_valid_gs1(NOM.classify(PRICE_CODE).base_code)
    assert is_valid_gs1(NOM.classify(WEIGHT_CODE).base_code)
    # the same item at a different price maps to the same catalog code
    other = with_check("231234509999")
    assert NOM.classify(other).value == 9999
    assert NOM.classify(other).base_code == PRICE_BASE


@pytest.mark.parametrize("code,rule,expected,got", [
    ("6901234567893", "ean13", 2, 3),
    ("96385070", "ean8", 4, 0),
    ("036000291459", "upca", 2, 9),
    (PRICE_CODE[:-1] + "7", "price", 0, 7),
    (WEIGHT_CODE[:-1] + "1", "weight", 6, 1),
])
def test_bad_check_digit(code, rule, expected, got):
    r = NOM.classify(code)
    assert (r.kind, r.rule, r.base_code, r.value, r.ok) == ("bad_barcode", rule, None, None, False)
    assert r.error == f"bad check digit: expected {expected}, got {got}"


def test_changed_digit_in_ean13_names_expected_digit():
    r = NOM.classify("6901234567892"[:5] + "9" + "6901234567892"[6:])  # 690129... check should be 3
    assert r.kind == "bad_barcode"
    assert r.error == f"bad check digit: expected {ean_check_digit('690129456789')}, got 2"


def test_misread_price_label_is_not_treated_as_product():
    # price value digit misread: still a price-shaped code, so it must not become an ean13 product
    r = NOM.classify(corrupt(PRICE_CODE, 9))
    assert (r.kind, r.rule) == ("bad_barcode", "price")


def test_bad_gs1_does_not_fall_through_to_later_rules():
    nom = Nomenclature([
        BarcodeRule("ean13", "product", r"^\d{13}$", "ean13"),
        BarcodeRule("catch_all", "product", r"^\d+$", "any"),
    ])
    assert nom.classify("6901234567893").kind == "bad_barcode"
    assert nom.classify("12345").rule == "catch_all"


def test_rule_order_matters():
    ean = BarcodeRule("ean13", "product", r"^\d{13}$", "ean13")
    price = BarcodeRule("price", "price", "23.....{NNNDD}.", "ean13")
    assert Nomenclature([ean, price]).classify(PRICE_CODE).kind == "product"
    assert Nomenclature([price, ean]).classify(PRICE_CODE).kind == "price"


def test_upca_in_ean13_form_is_also_a_product():
    assert NOM.classify("0036000291452").base_code == "0036000291452"


# --- normalization ---------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "６９０１２３４５６７８９２",  # full-width digits
    "6901234567892\r\n",
    "\r\n  6901234567892 \t",
    "\x1d6901234567892\x04",  # GS / EOT from scanners
    "\ufeff6901234567892\u3000",  # BOM, ideographic space
])
def test_normalization(raw):
    r = NOM.classify(raw)
    assert (r.code, r.kind, r.base_code) == ("6901234567892", "product", "6901234567892")


def test_lower_case_member_and_coupon_codes():
    r = NOM.classify(" m1234567890ab\n")
    assert (r.kind, r.rule, r.code, r.base_code) == ("member", "member_code", "m1234567890ab", "M1234567890AB")
    assert NOM.classify("cpsummer24").kind == "coupon"
    assert NOM.classify("ｃｓｈａ０１").base_code == "CSHA01"  # full-width letters too


def test_inner_whitespace_is_not_stripped():
    assert NOM.classify("690123 4567892").kind == "unknown"


# --- empty / huge / odd input ----------------------------------------------

@pytest.mark.parametrize("raw,code,error", [
    ("", "", "empty code"),
    (" \r\n\t\x00", "", "empty code"),
    ("1" * 129, "1" * 129, "code too long"),
    ("1" * 128, "1" * 128, "no rule matches this code"),
    ("条码123", "条码123", "no rule matches this code"),
    ("٦٩٠١٢٣٤٥٦٧٨٩٢", "٦٩٠١٢٣٤٥٦٧٨٩٢", "no rule matches this code"),  # Arabic-Indic digits
    ("\ud800", "\ud800", "no rule matches this code"),
    ("123", "123", "no rule matches this code"),
])
def test_unknown_inputs(raw, code, error):
    r = NOM.classify(raw)
    assert r == ScanResult(code, "unknown", None, None, None, error)
    assert not r.ok


def test_huge_input():
    assert NOM.classify("8" * 1_000_000).error == "code too long"
    assert NOM.classify(" " * 100_000 + "6901234567892" + "\n" * 100_000).kind == "product"


def test_non_str_is_type_error():
    with pytest.raises(TypeError):
        NOM.classify(6901234567892)


# --- value decoding --------------------------------------------------------

def test_value_scaling_and_rounding():
    nom = Nomenclature([
        BarcodeRule("price3", "price", "23....{NNNDDD}.", "ean13"),  # 3 decimals -> round half-up to fen
        BarcodeRule("weight2", "weight", "21.....{NNNDD}.", "ean13"),  # 2 decimals of kg -> grams
        BarcodeRule("kg", "weight", "22......{NNNN}.", "ean13"),  # whole kg
        BarcodeRule("fen_any", "price", "99{DD}", "any"),  # no check digit, decimals only
    ])
    assert nom.classify(with_check("230001012345")).value == 1235  # 12.345 -> 12.35
    assert nom.classify(with_check("230001012344")).value == 1234
    assert nom.classify(with_check("230001999995")).value == 100000  # 999.995 -> 1000.00
    assert nom.classify(with_check("210000100125")).value == 1250
    assert nom.classify(with_check("220000000012")).value == 12000
    r = nom.classify("9907")
    assert (r.kind, r.value, r.base_code) == ("price", 7, "9900")


# --- configuration ---------------------------------------------------------

def test_config_round_trip():
    cfg = NOM.to_config()
    assert cfg[0] == {"name": "cashier", "kind": "cashier", "pattern": r"^CSH[0-9A-Z]{3,12}$", "encoding": "any"}
    again = Nomenclature.from_config(json.loads(json.dumps(cfg)))
    assert again.rules == NOM.rules
    assert again.to_config() == cfg
    assert again.classify(PRICE_CODE) == NOM.classify(PRICE_CODE)


def _rows(bad_row):
    return [NOM.to_config()[0], bad_row]


@pytest.mark.parametrize("row,field,text", [
    ({"name": "x", "kind": "voucher", "pattern": "^X$", "encoding": "any"}, "kind", "unknown kind 'voucher'"),
    ({"name": "x", "kind": "product", "pattern": "^X[$", "encoding": "any"}, "pattern", "bad regular expression"),
    ({"name": "x", "kind": "product", "pattern": "20.....{NNNDD}.", "encoding": "ean13"}, "pattern",
     "only allowed on price/weight"),
    ({"name": "x", "kind": "product", "pattern": "^X$"}, "encoding", "missing"),
    ({"name": "x", "kind": "product", "pattern": "^X$", "encoding": "any", "prefix": "2"}, "prefix", "unknown"),
    ({"name": "x", "kind": "product", "pattern": "^X$", "encoding": "code39"}, "encoding", "unknown encoding"),
    ({"name": "x", "kind": "product", "pattern": 5, "encoding": "any"}, "pattern", "must be a string"),
])
def test_from_config_errors_name_row_and_field(row, field, text):
    with pytest.raises(NomenclatureError) as exc:
        Nomenclature.from_config(_rows(row))
    msg = str(exc.value)
    assert msg.startswith("row 2") and repr(field) in msg and text in msg


def test_from_config_rejects_non_mapping_rows():
    with pytest.raises(NomenclatureError, match="row 1"):
        Nomenclature.from_config([["x", "product", "^X$", "any"]])
    with pytest.raises(NomenclatureError):
        Nomenclature.from_config({"name": "x"})


@pytest.mark.parametrize("rule,text", [
    (BarcodeRule("p", "price", r"^23\d{11}$", "ean13"), "value marker"),  # price needs a mask
    (BarcodeRule("w", "weight", "21...........", "ean13"), "value marker"),
    (BarcodeRule("p", "price", "23.....{NNNDD}", "ean13"), "13"),  # 12 long
    (BarcodeRule("p", "price", "23......{NNNDD}", "ean13"), "check digit"),
    (BarcodeRule("p", "price", "23......{}", "any"), "empty value marker"),
    (BarcodeRule("p", "price", "23{NN}..{DD}", "any"), "digit mask"),  # two groups
    (BarcodeRule("p", "price", "2A.{NN}", "any"), "digit mask"),
    (BarcodeRule("e", "product", r"^\d+$", "ean13"), "exactly 13"),
    (BarcodeRule("e", "product", r"^\d{12}$", "ean8"), "exactly 8"),
    (BarcodeRule("e", "product", "........", "ean13"), "13"),
    (BarcodeRule("e", "product", "", "any"), "pattern"),
    (BarcodeRule("e", "product", r"^X{NN}$", "any"), "value marker"),
    (BarcodeRule("", "product", "^X$", "any"), "name"),
])
def test_invalid_rules(rule, text):
    with pytest.raises(NomenclatureError, match=r"^rule 1 ") as exc:
        Nomenclature([rule])
    assert text in str(exc.value)


def test_duplicate_and_non_rule_entries():
    with pytest.raises(NomenclatureError, match=r"rule 2 \('ean13'\).*duplicate"):
        Nomenclature([DEFAULT_RULES[6], DEFAULT_RULES[6]])
    with pytest.raises(NomenclatureError, match="rule 1"):
        Nomenclature([{"name": "x"}])


def test_empty_table_classifies_everything_unknown():
    assert Nomenclature([]).classify("6901234567892").kind == "unknown"


# --- properties ------------------------------------------------------------

@settings(max_examples=500)
@given(st.one_of(st.text(), st.text(alphabet="0123456789", max_size=20),
                 st.text(alphabet="0123456789０１２３４５６７８９ \r\nMCPSHKUmcpshku-", max_size=30)))
def test_classify_never_raises(code):
    r = NOM.classify(code)
    assert r.kind in RESULT_KINDS
    assert r.ok == (r.kind in KINDS)
    assert (r.error is None) == r.ok


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_valid_ean13_is_never_bad(payload):
    r = NOM.classify(with_check(payload))
    assert r.kind != "bad_barcode"
    assert r.kind in ("product", "price", "weight")
    assert is_valid_gs1(r.base_code)


@given(st.sampled_from([7, 11]).flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)))
def test_valid_ean8_and_upca_are_products(payload):
    r = NOM.classify(with_check(payload))
    assert r.kind == "product" and is_valid_gs1(r.base_code)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.integers(0, 12), st.integers(1, 9))
def test_any_single_digit_error_is_detected(payload, pos, delta):
    code = with_check(payload)
    bad = code[:pos] + str((int(code[pos]) + delta) % 10) + code[pos + 1:]
    assert NOM.classify(bad).kind == "bad_barcode"


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_full_width_equals_ascii(payload):
    code = with_check(payload)
    wide = code.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    assert NOM.classify(wide) == NOM.classify(code)
