"""Device settings persisted as JSON; labels rendered with python-barcode."""
from __future__ import annotations

import json

import pytest

from devices import config as cfg
from devices.labels import coupon_label, member_card_label


def test_defaults_save_and_load_round_trip(tmp_path):
    s = cfg.load(tmp_path / "none.json")
    assert s == cfg.DeviceSettings() and s.scanner.wedge.max_interval_ms == 55
    s.printer.backend = "file"
    s.printer.path = str(tmp_path / "out.bin")
    s.scanner.serial.prefix = "\x02"
    path = cfg.save(s, tmp_path / "devices.json")
    assert cfg.load(path) == s
    assert cfg.config_path() == tmp_path / "data" / "devices.json"  # beside the store ($POS_DB)


@pytest.mark.parametrize("doc,message", [
    ({"printer": {"width_mm": 76}}, "printer.width_mm: Input should be 58 or 80"),
    ({"scanner": {"serial": {"baudrate": 0}}}, "scanner.serial.baudrate: Input should be greater than or equal to 50"),
    ({"card_reader": {"msr": {"member_pattern": "^9(\\d{9}$"}}}, "card_reader.msr.member_pattern: Value error, bad regular expression"),
    ({"scanner": {"serial": {"terminator": "ETX"}}}, "scanner.serial.terminator"),
    ({"version": 99}, "version: written by a newer release"),
    ({"scaner": {}}, "scaner: Extra inputs are not permitted"),
])
def test_bad_settings_name_the_field(tmp_path, doc, message):
    path = tmp_path / "devices.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(cfg.DeviceConfigError, match=message.replace("(", r"\(").replace("\\d", "\\\\d")):
        cfg.load(path)


def test_not_json_is_a_clear_error(tmp_path):
    path = tmp_path / "devices.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(cfg.DeviceConfigError, match="not valid JSON"):
        cfg.load(path)


def test_unescape():
    assert cfg.unescape(r"\x02AB\r\n\t\\") == "\x02AB\r\n\t\\"
    assert cfg.unescape(r"\q\x2") == r"\q\x2"
    assert cfg.unescape_bytes(r"\x00\xffAB王\r") == b"\x00\xffAB" + "王".encode() + b"\r"


def test_member_card_and_coupon_labels():
    png = member_card_label("9000000001")
    assert png.startswith(b"\x89PNG")
    svg = coupon_label("CP8K2M4Q7T1Z", "svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    with pytest.raises(ValueError, match="is not a member code"):
        member_card_label("6901234567892")
    with pytest.raises(ValueError, match="format must be one of"):
        coupon_label("CP8K2M4Q7T1Z", "gif")
