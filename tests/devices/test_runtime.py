"""Devices assembled from settings: a serial scan and a wedge scan end as the same event."""
from __future__ import annotations

from devices import runtime
from devices.config import DeviceSettings
from devices.events import Scanned
from devices.wedge import ScanCompleted


def test_serial_and_wedge_scans_end_as_the_same_event(make_pty, events):
    pty = make_pty()
    s = DeviceSettings()
    s.scanner.mode = "serial"
    s.scanner.serial.port = pty.path
    s.card_reader.mode = "wedge"
    [reader] = runtime.serial_readers(s, events)
    reader.start()
    try:
        assert reader.wait_connected(5)
        pty.write(b"6901234567892\r")
        [serial_scan] = events.frames(1)
    finally:
        reader.stop()
    det, decoder = runtime.wedge(s)
    actions = [a for i, ch in enumerate("6901234567892\r") for a in det.feed(ch, i * 10.0)]
    [done] = actions
    assert isinstance(done, ScanCompleted)
    wedge_scan = decoder.decode_text(done.code)
    assert isinstance(serial_scan, Scanned) and isinstance(wedge_scan, Scanned)
    assert (serial_scan.code, serial_scan.kind) == (wedge_scan.code, wedge_scan.kind) == ("6901234567892", "product")


def test_nothing_to_start_when_devices_are_off():
    s = DeviceSettings()
    s.scanner.mode = "off"
    s.card_reader.mode = "off"
    assert runtime.serial_readers(s, print) == [] and runtime.wedge(s) is None
    assert runtime.printer(s).print_sale({"receipt_no": "X", "lines": [], "payments": [],
                                          "totals": {"gross_fen": 0, "discount_fen": 0, "net_fen": 0}}).reason == "disabled"
