"""A bank card number never reaches an event, a log record or an exception's text."""
from __future__ import annotations

import logging

import pytest

from devices.decoder import Decoder
from devices.labels import member_card_label
from devices.msr import MagstripeParser
from devices.wedge import WedgeDetector

from .conftest import BANK_PAN, BANK_SWIPE


def test_no_exception_text_carries_the_number(caplog):
    caplog.set_level(logging.DEBUG)
    raised = []
    for call in (lambda: MagstripeParser().parse(BANK_SWIPE.encode()),
                 lambda: Decoder("card").decode_text(BANK_SWIPE.encode()),
                 lambda: member_card_label(BANK_PAN),
                 lambda: member_card_label(BANK_SWIPE)):
        with pytest.raises((TypeError, ValueError)) as info:
            call()
        raised.append(info.value)
    for exc in raised:
        assert BANK_PAN not in str(exc) and BANK_PAN not in repr(exc.args)
    assert BANK_PAN not in caplog.text


def test_every_path_refuses_the_swipe_without_keeping_it(caplog):
    caplog.set_level(logging.DEBUG)
    results = [MagstripeParser().parse(BANK_SWIPE), *Decoder("scanner").decode(BANK_SWIPE.encode() + b"\r"),
               *Decoder("card").decode(b"\x00" + BANK_SWIPE.encode())]
    det = WedgeDetector()
    for i, ch in enumerate(BANK_SWIPE + "\r"):
        for action in det.feed(ch, i * 3.0):
            results.append(Decoder("scanner", source="wedge").decode_text(action.code))
    assert [getattr(r, "reason", None) for r in results if type(r).__name__ == "Refused"] == ["bank_card"] * 4
    assert all(BANK_PAN not in repr(r) for r in results)
    assert BANK_PAN not in caplog.text
