"""Magnetic stripe parsing: tracks, sentinels, LRC, member cards, bank card refusal."""
from __future__ import annotations

import logging

import pytest

from devices.events import BadSwipe, CardSwiped, Refused
from devices.msr import MagstripeParser, MsrSettings, looks_like_bank_card, luhn_ok, track_lrc

from .conftest import BANK_PAN, BANK_SWIPE, MEMBER_SWIPE

P = MagstripeParser()


@pytest.mark.parametrize("swipe", [
    MEMBER_SWIPE, ";9000000001?", "%9000000001^WANG/XM^?", ";9000000001=2612?", "9000000001",
    "%E?;9000000001?", ";9000000001?;0123456789?", ";9000000001?+0123=45?", "%9000000001^A^?\r;9000000001?\r\n",
])
def test_member_cards(swipe):
    assert P.parse(swipe) == CardSwiped("9000000001", "card")


@pytest.mark.parametrize("swipe,reason", [
    ("", "unreadable"), ("%E?;E?", "bad_track"), (";E?", "bad_track"), (";9000000001", "no_end_sentinel"),
    ("x;9000000001?", "garbage"), (";9000000001?junk", "garbage"), (";90000A0001?", "bad_track"),
    (";1?;2?;3?", "bad_track"), ("%1?%2?", "bad_track"), ("hello", "garbage"), (";" + "1" * 300 + "?", "too_long"),
])
def test_bad_swipes_say_why_and_never_raise(swipe, reason):
    assert P.parse(swipe) == BadSwipe(reason, "card")


def test_a_well_read_card_that_is_not_ours_is_refused():
    assert P.parse(";1234567890?") == Refused("unknown_card", "card")
    assert P.parse(f";{BANK_PAN}?") == Refused("unknown_card", "card")  # a bare number: refused, not shown


@pytest.mark.parametrize("swipe", [
    BANK_SWIPE,
    f";{BANK_PAN}=29121010000000000000?",
    f"%B{BANK_PAN}^TEST/CARD^2912101?",
    f"%B4111 1111 1111 1111^TEST/CARD^2912101?",
    f"{BANK_PAN}=2912101",  # a reader that strips sentinels
    f";{BANK_PAN}==?",  # expiry and service code omitted
    f";01{BANK_PAN}=2912101?",  # track 3 with its format code
    f"%B{BANK_PAN}^TEST/CARD^2912101?;{BANK_PAN}=2912101?X",  # garbled after the data: still refused, not "swipe again"
    f"{BANK_PAN}D29121010000",  # EMV track 2 equivalent
])
def test_bank_cards_are_refused(swipe, caplog):
    caplog.set_level(logging.DEBUG)
    result = P.parse(swipe)
    assert result == Refused("bank_card", "card")
    assert BANK_PAN not in repr(result) and BANK_PAN not in caplog.text


def test_bank_card_needs_luhn_and_structure():
    assert luhn_ok(BANK_PAN) and not luhn_ok("4111111111111112")
    assert not looks_like_bank_card(";4111111111111112=2912101?")  # Luhn fails
    assert not looks_like_bank_card(";4111111111111111?")  # no structure
    assert not looks_like_bank_card(";9000000001=2912101?")  # too short for a PAN


def test_a_member_card_with_bank_like_structure_but_no_luhn_is_accepted():
    p = MagstripeParser(MsrSettings(member_pattern=r"^8\d{15}$"))
    number = "8000000000000001"
    assert not luhn_ok(number)
    assert p.parse(f";{number}=2912101?") == CardSwiped(number, "card")


def test_lrc_checked_when_the_reader_sends_it():
    p = MagstripeParser(MsrSettings(lrc=True))
    t2 = ";9000000001?"
    good = t2 + track_lrc(2, t2)
    assert p.parse(good) == CardSwiped("9000000001", "card")
    wrong = chr(ord(track_lrc(2, t2)) ^ 1)
    assert p.parse(t2 + wrong) == BadSwipe("lrc", "card")
    assert p.parse(t2) == BadSwipe("lrc", "card")  # missing LRC
    t1 = "%9000000001^WANG/XM^?"
    assert p.parse(t1 + track_lrc(1, t1) + good) == CardSwiped("9000000001", "card")


def test_member_pattern_is_configurable():
    p = MagstripeParser(MsrSettings(member_pattern=r"^VIP\d{6}$"))
    assert p.parse("%VIP123456^A^?") == CardSwiped("VIP123456", "card")
    assert p.parse("%B123456^A^?") == Refused("unknown_card", "card")
    p2 = MagstripeParser(MsrSettings(member_pattern=r"^6\d{7}$"))
    assert p2.parse(";61234567?") == CardSwiped("61234567", "card")
    assert P.parse(";61234567?") == Refused("unknown_card", "card")


def test_non_str_is_a_type_error():
    with pytest.raises(TypeError):
        P.parse(b";9000000001?")
