"""The keyboard-wedge detector with timed key sequences (timestamps in ms)."""
from __future__ import annotations

from devices.wedge import Key, PassThrough, ScanCompleted, WedgeConfig, WedgeDetector


def run(det: WedgeDetector, keys: list[tuple[str, float]], end: float | None = None) -> list:
    """Feed (char, t) pairs, then let the timer fire; returns the actions in order."""
    out = []
    for ch, t in keys:
        out += det.feed(ch, t)
        # the shell's timer: fire flush whenever a deadline passed before the next key
    last = keys[-1][1] if keys else 0
    out += det.flush(end if end is not None else last + 1000)
    return out


def typed(actions) -> str:
    return "".join(a.text for a in actions if isinstance(a, PassThrough))


def scans(actions) -> list[str]:
    return [a.code for a in actions if isinstance(a, ScanCompleted)]


def burst(text: str, t0: float = 0.0, gap: float = 8.0) -> list[tuple[str, float]]:
    return [(c, t0 + i * gap) for i, c in enumerate(text)]


def test_a_fast_burst_with_enter_is_a_scan_and_nothing_leaks():
    det = WedgeDetector()
    actions = run(det, burst("6901234567892\r"))
    assert scans(actions) == ["6901234567892"] and typed(actions) == ""
    assert not det.pending


def test_slow_human_typing_passes_through_in_order():
    det = WedgeDetector()
    keys = [(c, i * 180.0) for i, c in enumerate("6901234567892\r")]
    actions = run(det, keys)
    assert scans(actions) == [] and typed(actions) == "6901234567892\r"


def test_fast_but_short_typing_passes_through():
    det = WedgeDetector(WedgeConfig(min_length=6))
    actions = run(det, burst("123\r", gap=40))  # a quick "123" + Enter: shorter than min_length
    assert scans(actions) == [] and typed(actions) == "123\r"


def test_keys_are_only_held_until_the_deadline():
    det = WedgeDetector()
    assert det.feed("a", 0.0) == []  # held: it may be the start of a scan
    assert det.deadline() == 55.0
    assert det.flush(50.0) == []
    [released] = det.flush(56.0)
    assert isinstance(released, PassThrough) and released.text == "a"


def test_prefix_and_suffix():
    det = WedgeDetector(WedgeConfig(prefix="~", suffix="#"))
    actions = run(det, burst("~CP8K2M4Q7T1Z#\r"))
    assert scans(actions) == ["CP8K2M4Q7T1Z"]
    # with a prefix, typing that does not start with it is passed at once, never held
    assert det.feed("h", 1000.0) == [PassThrough((Key("h", 1000.0),))]
    # a fast burst with the prefix but without the suffix is not a scan
    assert typed(run(det, burst("~12345678\r", t0=2000))) == "~12345678\r"


def test_a_burst_interrupted_by_a_pause_is_not_a_scan():
    det = WedgeDetector()
    keys = burst("12345") + burst("678\r", t0=5 * 8 + 300)  # 300 ms pause in the middle
    actions = run(det, keys)
    assert scans(actions) == [] and typed(actions) == "12345678\r"
    # and the first part was released when the pause was seen, before the rest arrived
    assert isinstance(actions[0], PassThrough) and actions[0].text == "12345"


def test_without_a_required_terminator_a_pause_ends_the_scan():
    det = WedgeDetector(WedgeConfig(require_terminator=False, min_length=8))
    actions = run(det, burst("9000000001"), end=9 * 8 + 60)
    assert scans(actions) == ["9000000001"]
    assert typed(run(det, [(c, 1000 + i * 200.0) for i, c in enumerate("hello")])) == "hello"


def test_a_swipe_typed_by_a_wedge_card_reader_is_swallowed_and_repr_hides_it():
    det = WedgeDetector()
    swipe = "%B4111111111111111^TEST/CARD^2912101?;4111111111111111=2912101?\r"
    [done] = run(det, burst(swipe, gap=2))
    assert isinstance(done, ScanCompleted) and done.code == swipe[:-1]
    assert "4111" not in repr(done)
    assert "4111" not in repr(PassThrough(tuple(Key(c, 0) for c in swipe)))


def test_interrupt_releases_held_keys_before_a_non_text_key():
    det = WedgeDetector()
    det.feed("a", 0.0)
    det.feed("b", 10.0)
    [released] = det.interrupt(12.0)
    assert released.text == "ab" and not det.pending


def test_payload_rides_along_for_the_qt_shell():
    det = WedgeDetector()
    det.feed("x", 0.0, payload="event-1")
    [released] = det.flush(100.0)
    assert released.keys[0].payload == "event-1"
