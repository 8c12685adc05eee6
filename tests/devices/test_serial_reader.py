"""The real serial code (pyserial on a worker thread) against pseudo-terminals."""
from __future__ import annotations

import logging
import os
import time

import pytest

from devices.config import SerialSettings
from devices.decoder import Decoder
from devices.events import BadSwipe, CardSwiped, Connected, Disconnected, Garbage, Refused, Scanned
from devices.serial_reader import SerialReader

from .conftest import BANK_PAN, BANK_SWIPE, MEMBER_SWIPE


@pytest.fixture
def reader_for(events):
    started: list[SerialReader] = []

    def start(port: str, kind: str = "scanner", **opts) -> SerialReader:
        r = SerialReader(SerialSettings(port=port, **opts), Decoder(kind), events, backoff_min=0.05, backoff_max=0.2)
        started.append(r.start())
        assert r.wait_connected(5), events.items
        return r

    yield start
    for r in started:
        r.stop()


def test_frames_split_across_reads_and_glued_together(make_pty, reader_for, events):
    pty = make_pty()
    reader_for(pty.path)
    pty.write(b"690123")
    time.sleep(0.05)  # a separate read for the second half
    pty.write(b"4567892\r9000000001\rCP8K2M4Q7T1Z\r")
    got = events.frames(3)
    assert got == [Scanned("6901234567892", "product", None, "scanner"), Scanned("9000000001", "member", None, "scanner"),
                   Scanned("CP8K2M4Q7T1Z", "coupon", None, "scanner")]
    assert isinstance(events.items[0], Connected)


@pytest.mark.parametrize("term,end", [("CR", b"\r"), ("LF", b"\n"), ("CRLF", b"\r\n")])
def test_terminators(make_pty, reader_for, events, term, end):
    pty = make_pty()
    reader_for(pty.path, terminator=term)
    pty.write(b"2300001012346" + end + b"2100002005008" + end)
    price, weight = events.frames(2)
    assert (price.kind, weight.kind) == ("price", "weight")


def test_no_terminator_inter_frame_timeout(make_pty, reader_for, events):
    pty = make_pty()
    reader_for(pty.path, terminator="none", frame_timeout_ms=300)
    pty.write(b"69012345")
    time.sleep(0.02)
    pty.write(b"67892")  # same frame: the pause was shorter than the timeout
    events.frames(1)
    pty.write(b"CSH001")
    assert [e.code for e in events.frames(2)] == ["6901234567892", "CSH001"]


def test_prefix_suffix_stripped(make_pty, reader_for, events):
    pty = make_pty()
    reader_for(pty.path, prefix="\x02", suffix="\x03", terminator="CR")
    pty.write(b"\x026901234567892\x03\r\x02CP8K2M4Q7T1Z\x03\r")
    assert [e.code for e in events.frames(2)] == ["6901234567892", "CP8K2M4Q7T1Z"]


def test_garbage_is_reported_and_skipped(make_pty, reader_for, events):
    pty = make_pty()
    reader_for(pty.path)
    pty.write(b"\x00\xff\x00\xfe\r\x00\x006901234567892\r69\x0112\x02\r6901234567891\r")
    got = events.frames(5)
    assert got[0] == Garbage(4, "scanner")  # a frame of line noise
    assert got[1] == Garbage(2, "scanner") and got[2].code == "6901234567892"  # noise before a good code
    assert got[3] == Garbage(6, "scanner")  # noise inside a frame: the frame is dropped whole
    assert got[4].kind == "bad_barcode" and "expected 2" in got[4].error  # a misread is named, never a crash


def test_member_card_bad_swipe_and_bank_card(make_pty, reader_for, events, caplog):
    caplog.set_level(logging.DEBUG)
    pty = make_pty()
    reader_for(pty.path, kind="card")
    pty.write(MEMBER_SWIPE.encode() + b"\r" + b"%E?;E?\r" + BANK_SWIPE.encode() + b"\r"
              + b";90000000\x0101?\r" + b";9000000002=?\r")
    got = events.frames(5)
    assert got == [CardSwiped("9000000001", "card"), BadSwipe("bad_track", "card"), Refused("bank_card", "card"),
                   BadSwipe("garbage", "card"), CardSwiped("9000000002", "card")]
    # the bank card number is nowhere: not in an event, a repr, or any log record
    assert all(BANK_PAN not in repr(e) for e in events.items)
    assert all(BANK_PAN not in r.getMessage() and BANK_PAN not in str(r.args) for r in caplog.records)
    assert BANK_PAN not in caplog.text


def test_unplug_then_replug_on_the_same_path(make_pty, events, tmp_path):
    first = make_pty()
    link = tmp_path / "ttyScanner"  # the port path the reader knows, like /dev/serial/by-id/...
    os.symlink(first.path, link)
    reader = SerialReader(SerialSettings(port=str(link)), Decoder("scanner"), events, backoff_min=0.05, backoff_max=0.2)
    reader.start()
    try:
        assert reader.wait_connected(5)
        first.write(b"6901234567892\r")
        events.frames(1)
        first.unplug()
        events.wait_type(Disconnected)
        assert not reader.connected
        second = make_pty()  # the device comes back (a new tty behind the same path)
        tmp = tmp_path / "ttyScanner.new"
        os.symlink(second.path, tmp)
        os.replace(tmp, link)
        assert len(events.wait_type(Connected, 2)) == 2
        second.write(b"9000000001\r")
        assert events.frames(2)[1] == Scanned("9000000001", "member", None, "scanner")
        kinds = [type(e).__name__ for e in events.items]
        assert kinds == ["Connected", "Scanned", "Disconnected", "Connected", "Scanned"]  # one Disconnected per outage
    finally:
        started = time.monotonic()
        reader.stop()
        assert time.monotonic() - started < 1.0  # a clean, prompt stop


def test_a_port_missing_at_start_is_reported_once_and_picked_up_when_it_appears(make_pty, events, tmp_path):
    link = tmp_path / "later"
    reader = SerialReader(SerialSettings(port=str(link)), Decoder("scanner"), events, backoff_min=0.05, backoff_max=0.1)
    reader.start()
    try:
        gone = events.wait_type(Disconnected)
        assert "No such file" in gone[0].reason
        time.sleep(0.3)  # several retries: still one report
        assert sum(isinstance(e, Disconnected) for e in events.items) == 1
        os.symlink(make_pty().path, link)
        events.wait_type(Connected)
    finally:
        reader.stop()


def test_a_failing_handler_does_not_kill_the_reader(make_pty):
    seen = []

    def handler(event):
        seen.append(event)
        if isinstance(event, Scanned) and event.code == "12345670":
            raise RuntimeError("handler bug")

    pty = make_pty()
    reader = SerialReader(SerialSettings(port=pty.path), Decoder("scanner"), handler)
    reader.start()
    try:
        assert reader.wait_connected(5)
        pty.write(b"12345670\r")
        deadline = time.monotonic() + 5
        while sum(isinstance(e, Scanned) for e in seen) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        pty.write(b"96385074\r")
        while sum(isinstance(e, Scanned) for e in seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [e.code for e in seen if isinstance(e, Scanned)] == ["12345670", "96385074"]
    finally:
        reader.stop()


def test_a_port_that_fails_right_after_opening_does_not_spin(monkeypatch, events):
    import serial

    import devices.serial_reader as sr

    opens = []

    class Flaky:
        in_waiting = 0

        def read(self, n):
            raise serial.SerialException("device reports readiness to read but returned no data")

        def close(self):
            pass

    monkeypatch.setattr(sr, "open_serial", lambda settings: opens.append(1) or Flaky())
    reader = SerialReader(SerialSettings(port="/dev/flaky"), Decoder("scanner"), events, backoff_min=0.02, backoff_max=0.16)
    reader.start()
    time.sleep(0.5)
    reader.stop()
    # backoff 0.02, 0.04, 0.08, 0.16, 0.16 ...: a handful of attempts, not thousands
    assert 3 <= len(opens) <= 8, len(opens)
    assert sum(isinstance(e, Disconnected) for e in events.items) == len(opens)
