"""The dynamic member code, pure (pos.rules.dynamic_code): RFC 4226 / RFC 6238 vectors of
its core, pinned vectors of the code itself, the window with its drift, stale and forged
codes, and the barcode nomenclature telling it from every other kind."""
from __future__ import annotations

import hashlib

import pytest

from pos.rules import dynamic_code as dc
from pos.rules.barcodes import Nomenclature

SECRET = bytes(range(32)).hex()
CODE = "M4X7K2P9Q3RT"
STEP = 59_000_000


@pytest.mark.parametrize("counter,want", enumerate(
    ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]))
def test_hotp_rfc4226_vectors(counter, want):
    assert dc.hotp(b"12345678901234567890", counter) == want


@pytest.mark.parametrize("t,sha1,sha256", [
    (59, "94287082", "46119246"), (1111111109, "07081804", "68084774"), (1111111111, "14050471", "67062674"),
    (1234567890, "89005924", "91819424"), (2000000000, "69279037", "90698825"), (20000000000, "65353130", "77737706")])
def test_totp_rfc6238_vectors(t, sha1, sha256):
    assert dc.totp(b"12345678901234567890", t) == sha1
    assert dc.totp(b"12345678901234567890123456789012", t, digestmod=hashlib.sha256) == sha256


def test_known_codes_never_change():
    """Pinned: a phone page and a till of different releases must agree."""
    assert dc.make(CODE, SECRET, STEP) == "DM6087570869M4X7K2P9Q3RT"
    assert dc.make(CODE, SECRET, STEP + 1) == "DM6106760485M4X7K2P9Q3RT"
    assert dc.make(CODE.lower(), SECRET, STEP) == "DM6087570869M4X7K2P9Q3RT"
    p = dc.parse("dm6087570869m4x7k2p9q3rt")
    assert (p.member_code, p.tag, p.digits) == (CODE, STEP % 1024, "87570869")
    assert dc.step_at(STEP * 30 + 29.9) == STEP and dc.step_at(STEP * 30 + 30) == STEP + 1


def test_window_is_its_step_and_one_step_of_drift_either_way():
    code = dc.make(CODE, SECRET, STEP)
    for now in (STEP - 1, STEP, STEP + 1):
        v = dc.verify(code, SECRET, now)
        assert v.ok and v.step == STEP
    later = dc.verify(code, SECRET, STEP + 2)  # a minute on: a screenshot
    assert (later.status, later.step, later.age_s) == ("stale", STEP, 60)
    tomorrow = dc.verify(code, SECRET, STEP + 2880)
    assert tomorrow.status == "stale" and tomorrow.age_s == 86400
    assert dc.verify(code, SECRET, STEP + dc.LOOKBACK_STEPS + 1).status == "invalid"  # too old to place
    assert dc.verify(code, SECRET, STEP - 2).status == "invalid"  # a code from the future
    # every step tag wraps the same way: the step just before a multiple of 1024
    edge = 1024 * 60000 - 1
    assert dc.verify(dc.make(CODE, SECRET, edge), SECRET, edge + 1).ok
    assert dc.verify(dc.make(CODE, SECRET, edge + 1), SECRET, edge).ok


def test_forged_or_altered_codes_are_invalid():
    code = dc.make(CODE, SECRET, STEP)
    digit = code[4]
    bumped = code[:4] + str((int(digit) + 1) % 10) + code[5:]
    assert dc.verify(bumped, SECRET, STEP).status == "invalid"
    other = dc.make("M000000OTHER".replace("O", "0"), SECRET, STEP)
    moved = other[:4 + dc.DIGITS] + CODE  # another member's digits with this member's code
    assert dc.verify(moved, SECRET, STEP).status == "invalid"
    retagged = code[:2] + dc.make(CODE, SECRET, STEP + 1)[2:4] + code[4:]
    assert dc.verify(retagged, SECRET, STEP).status == "invalid"
    assert dc.verify(code, "ff" * 32, STEP).status == "invalid"  # another member's secret
    assert dc.verify(code, None, STEP).status == "invalid" and dc.verify(code, "short", STEP).status == "invalid"
    for junk in ("", "DM", "DMIL12345678M1", "DM6087570869", "XX6087570869M4X7K2P9Q3RT", "DM60875708M4X7"):
        assert dc.verify(junk, SECRET, STEP).status == "invalid"


def test_guessing_is_hopeless():
    """Eight digits, three steps open: a random guess verifies about 3 times in 10**8."""
    hits = sum(dc.verify(f"DM{dc.make(CODE, SECRET, STEP)[2:4]}{n:08d}{CODE}", SECRET, STEP).ok
               for n in range(0, 10 ** 8, 10 ** 8 // 3000))
    assert hits <= 1


def test_make_refuses_bad_input():
    with pytest.raises(ValueError):
        dc.make(CODE, "not hex", STEP)
    with pytest.raises(ValueError):
        dc.make("M-1", SECRET, STEP)


def test_the_nomenclature_tells_it_apart():
    nom = Nomenclature.default()
    code = dc.make(CODE, SECRET, STEP)
    got = nom.classify(code)
    assert (got.kind, got.rule, got.code) == ("dynamic_member", "dynamic_member", code)
    assert nom.classify(code.lower()).kind == "dynamic_member"
    assert nom.classify("\ufeff" + code + "\r\n").kind == "dynamic_member"  # what scanners add
    assert [r.pattern for r in nom.rules if r.name == "dynamic_member"] == [dc.PATTERN]
    # the others stay what they were
    assert nom.classify(CODE).kind == "member"
    assert nom.classify("9000000001").kind == "member"
    assert nom.classify("CPAB12CD34").kind == "coupon"
    assert nom.classify("6901234567892").kind == "product"
    assert nom.classify("SKU-DM1").kind == "product"
    assert nom.classify("DM12").kind == "unknown"
