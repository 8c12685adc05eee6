"""Frames -> events: one decision for every device."""
from __future__ import annotations

import pytest

from devices.decoder import Decoder
from devices.events import BadSwipe, CardSwiped, Garbage, Refused, Scanned, as_json, message

from .conftest import BANK_PAN, BANK_SWIPE, MEMBER_SWIPE

SCAN = Decoder("scanner")
CARD = Decoder("card")


@pytest.mark.parametrize("frame,kind", [
    (b"6901234567892", "product"), (b"2300001012346", "price"), (b"2100002005008", "weight"),
    (b"9000000001", "member"), (b"MGF4EETMNQ8S", "member"), (b"CP8K2M4Q7T1Z", "coupon"), (b"CSH001", "cashier"),
    (b"6901234567891", "bad_barcode"), (b"HELLO", "unknown"), ("６９０１２３４５６７８９２".encode(), "product"),
])
def test_scanner_kinds(frame, kind):
    [event] = SCAN.decode(frame)
    assert isinstance(event, Scanned) and event.kind == kind


def test_noise_at_the_edges_is_reported_then_the_code_decoded():
    assert SCAN.decode(b"\x00\xff6901234567892\x00") == [Garbage(3, "scanner"), Scanned("6901234567892", "product", None, "scanner")]
    assert SCAN.decode(b"\x00\x01") == [Garbage(2, "scanner")]
    assert SCAN.decode(b"69\x0012") == [Garbage(5, "scanner")]
    assert SCAN.decode(b"\xc3\x28abc") == [Garbage(5, "scanner")]  # not UTF-8
    assert SCAN.decode(b" \r\n") == []
    assert CARD.decode(b"\x00\x00;9000000001?") == [Garbage(2, "card"), CardSwiped("9000000001", "card")]
    assert CARD.decode(b";9000\x00000001?") == [BadSwipe("garbage", "card")]


def test_swipes_on_the_scanner_path_are_routed_to_the_magstripe_parser():
    assert SCAN.decode(MEMBER_SWIPE.encode()) == [CardSwiped("9000000001", "scanner")]
    assert SCAN.decode(BANK_SWIPE.encode()) == [Refused("bank_card", "scanner")]
    assert SCAN.decode_text(f"{BANK_PAN}=2912101") == Refused("bank_card", "scanner")
    garbled = f"\x00;{BANK_PAN}=2912\x01101?".encode()
    assert CARD.decode(garbled) == [Refused("bank_card", "card")]


def test_json_lines_are_exactly_the_public_shape():
    assert as_json(Scanned("6901234567892", "product")) == {"event": "scanned", "code": "6901234567892", "kind": "product"}
    assert as_json(CardSwiped("9000000001")) == {"event": "card", "card_no": "9000000001"}
    assert as_json(BadSwipe("lrc")) == {"event": "bad_swipe"}
    assert as_json(Refused("bank_card")) == {"event": "refused", "reason": "bank_card"}
    assert message(BadSwipe(), "en") == "Bad swipe, please swipe again"
    assert message(BadSwipe()) == "刷卡失败，请重新刷卡"


def test_bad_kind_is_refused():
    with pytest.raises(ValueError, match="decoder kind"):
        Decoder("printer")
