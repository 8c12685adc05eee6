"""Cutting the byte stream into frames: reads never respect frame boundaries."""
from __future__ import annotations

import pytest

from devices.framing import Framer


@pytest.mark.parametrize("term,end", [("CR", b"\r"), ("LF", b"\n"), ("CRLF", b"\r\n")])
def test_terminated_frames_split_across_reads_and_glued(term, end):
    f = Framer(term)
    assert f.feed(b"69012", 0.0) == []
    assert f.feed(b"34567892" + end + b"90000", 0.01) == [b"6901234567892"]
    assert f.feed(b"00001" + end + b"CP8K2M4Q7T1Z" + end, 0.02) == [b"9000000001", b"CP8K2M4Q7T1Z"]
    assert f.deadline() is None


def test_crlf_split_between_reads():
    f = Framer("CRLF")
    assert f.feed(b"12345678\r", 0.0) == []
    assert f.feed(b"\n", 0.001) == [b"12345678"]


def test_no_terminator_a_pause_ends_the_frame():
    f = Framer("none", frame_timeout_ms=50)
    assert f.feed(b"690123", 0.000) == []
    assert f.feed(b"4567892", 0.020) == []  # still within the frame
    assert f.poll(0.060) == []  # 40 ms since the last byte
    assert f.poll(0.071) == [b"6901234567892"]
    assert f.feed(b"9000000001", 1.0) == []
    assert f.feed(b"CP8K2M4Q7T1Z", 1.2) == [b"9000000001"]  # the pause ended the previous frame
    assert f.poll(1.3) == [b"CP8K2M4Q7T1Z"]


def test_no_terminator_prefix_and_suffix_split_glued_frames():
    f = Framer("none", prefix=b"\x02", suffix=b"\x03")
    assert f.feed(b"\x026901234567892\x03\x029000000001\x03\x02CP8K", 0.0) == [b"6901234567892", b"9000000001"]
    assert f.feed(b"2M4Q7T1Z\x03", 0.01) == [b"CP8K2M4Q7T1Z"]
    g = Framer("none", prefix=b"#")
    assert g.feed(b"#12345678#87654321", 0.0) == [b"12345678"]
    assert g.poll(1.0) == [b"87654321"]


def test_prefix_and_suffix_are_stripped_with_a_terminator():
    f = Framer("CR", prefix=b"]E0", suffix=b"!")
    assert f.feed(b"]E06901234567892!\r9000000001\r", 0.0) == [b"6901234567892", b"9000000001"]


def test_a_lost_terminator_is_flushed_when_stale_and_blank_frames_are_dropped():
    f = Framer("CR", stale_ms=1000)
    assert f.feed(b"\r\n\r 12345678", 0.0) == []
    assert f.poll(0.5) == []
    assert f.poll(1.01) == [b"12345678"]


def test_a_noisy_line_never_grows_the_buffer_without_bound():
    f = Framer("CR", max_frame=64)
    frames = f.feed(b"\xff" * 200, 0.0)
    assert [len(x) for x in frames] == [64, 64, 64] and len(f.buf) == 8
    assert f.reset() == 8


def test_bad_terminator_is_refused():
    with pytest.raises(ValueError, match="terminator must be one of"):
        Framer("ETX")
