"""Device settings: one typed document, persisted as JSON in the data directory.

Typed (pydantic) so a bad value is refused with the field named, whether it
comes from the settings dialog, the CLI or a hand-edited file; `version`
lets a later release upgrade an older file step by step (as Picard does).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONFIG_VERSION = 1
CONFIG_NAME = "devices.json"


class DeviceConfigError(ValueError):
    """A settings file or value that cannot be used; the message names the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SerialSettings(_Model):
    port: str = ""  # /dev/ttyUSB0, COM3, or any pyserial URL (loop://, socket://host:port)
    baudrate: int = Field(9600, ge=50, le=4_000_000)
    bytesize: Literal[5, 6, 7, 8] = 8
    parity: Literal["N", "E", "O", "M", "S"] = "N"
    stopbits: Literal[1, 1.5, 2] = 1
    xonxoff: bool = False  # software flow control
    rtscts: bool = False  # hardware flow control
    terminator: Literal["CR", "LF", "CRLF", "none"] = "CR"
    frame_timeout_ms: int = Field(50, ge=5, le=5000)  # "none": silence that ends a frame
    prefix: str = Field("", max_length=8)  # stripped from each frame (e.g. "\x02")
    suffix: str = Field("", max_length=8)

    @field_validator("parity", mode="before")
    @classmethod
    def _parity_word(cls, v):
        words = {"none": "N", "even": "E", "odd": "O", "mark": "M", "space": "S"}
        return words.get(v.lower(), v.upper()) if isinstance(v, str) else v


class WedgeSettings(_Model):
    max_interval_ms: int = Field(55, ge=5, le=500)  # keys closer than this came from a device
    min_length: int = Field(6, ge=1, le=128)  # shorter bursts are typing, not a scan
    require_terminator: bool = True  # a burst must end with Enter (else a pause ends it)
    terminators: str = "\r\n"  # any of these characters ends a scan (Enter is "\r")
    prefix: str = Field("", max_length=8)
    suffix: str = Field("", max_length=8)


class MsrOptions(_Model):
    lrc: bool = False  # the reader sends an LRC character after each track
    member_pattern: str | None = None  # '^...$' regex for member card numbers; None = nomenclature

    @field_validator("member_pattern")
    @classmethod
    def _regex(cls, v):
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"bad regular expression: {exc}") from None
        return v


class ScannerSettings(_Model):
    mode: Literal["off", "serial", "wedge"] = "wedge"
    serial: SerialSettings = Field(default_factory=SerialSettings)
    wedge: WedgeSettings = Field(default_factory=WedgeSettings)


class CardReaderSettings(_Model):
    mode: Literal["off", "serial", "wedge"] = "wedge"
    # "wedge": the reader types its tracks; the scanner's wedge detector (one per
    # keyboard) catches them and the decoder tells a swipe from a scan by its sentinels
    serial: SerialSettings = Field(default_factory=SerialSettings)
    msr: MsrOptions = Field(default_factory=MsrOptions)


class PrinterSettings(_Model):
    backend: Literal["none", "file", "serial", "usb", "network", "dummy"] = "none"
    width_mm: Literal[58, 80] = 80
    path: str = ""  # file backend: a file (appended to) or a device file such as /dev/usb/lp0
    serial: SerialSettings = Field(default_factory=lambda: SerialSettings(baudrate=19200))
    usb_vendor: int = Field(0, ge=0, le=0xFFFF)
    usb_product: int = Field(0, ge=0, le=0xFFFF)
    host: str = ""
    port: int = Field(9100, ge=1, le=65535)
    timeout_s: float = Field(5.0, gt=0, le=60)
    check_status: bool = True  # ask the printer (DLE EOT) before printing; no answer = assume ready
    drawer_pin: Literal[2, 5] = 2
    cut: bool = True
    store_name: str = ""
    header: list[str] = Field(default_factory=list)
    footer: list[str] = Field(default_factory=list)
    join_url: str = ""  # printed as a QR code: scan to join
    lang: Literal["zh_CN", "en"] = "zh_CN"


class DisplaySettings(_Model):
    enabled: bool = False
    serial: SerialSettings = Field(default_factory=SerialSettings)
    encoding: Literal["gb18030", "ascii"] = "gb18030"  # ascii: a display without Chinese glyphs
    lang: Literal["zh_CN", "en"] = "zh_CN"


class CustomerScreenSettings(_Model):
    """The graphical customer screen (app/customer_display.py), beside the 2x20 pole display:
    "off"; "screen": full screen, frameless, on the till's monitor number `screen` (0 is the
    first; a till's second monitor is 1); "window": an ordinary window (to try it out)."""
    mode: Literal["off", "screen", "window"] = "off"
    screen: int = Field(1, ge=0, le=15)


class DeviceSettings(_Model):
    version: int = CONFIG_VERSION
    scanner: ScannerSettings = Field(default_factory=ScannerSettings)
    card_reader: CardReaderSettings = Field(default_factory=CardReaderSettings)
    printer: PrinterSettings = Field(default_factory=PrinterSettings)
    display: DisplaySettings = Field(default_factory=DisplaySettings)
    customer_screen: CustomerScreenSettings = Field(default_factory=CustomerScreenSettings)


def data_dir() -> Path:
    """Where the store keeps its files: beside the store database ($POS_DB honoured)."""
    from pos.store.database import default_db_path

    return default_db_path().parent


def config_path() -> Path:
    env = os.environ.get("POS_DEVICES_CONFIG")
    return Path(env) if env else data_dir() / CONFIG_NAME


def _error(where: str, exc: ValidationError) -> DeviceConfigError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "settings"
    return DeviceConfigError(f"{where}: {loc}: {err['msg']}")


def _upgrade(doc: dict) -> dict:
    # version 1 is the first; later releases add `if doc["version"] == 1: ...` steps here
    doc.setdefault("version", CONFIG_VERSION)
    if not isinstance(doc["version"], int) or doc["version"] > CONFIG_VERSION:
        raise DeviceConfigError(f"version: written by a newer release ({doc['version']!r}); "
                                f"this one reads up to {CONFIG_VERSION}")
    return doc


def load(path: str | Path | None = None) -> DeviceSettings:
    """The saved settings, or the defaults when there is no file yet."""
    path = Path(path) if path else config_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DeviceSettings()
    except OSError as exc:
        raise DeviceConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DeviceConfigError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(doc, dict):
        raise DeviceConfigError(f"{path}: expected a JSON object, got {type(doc).__name__}")
    try:
        return DeviceSettings.model_validate(_upgrade(doc))
    except ValidationError as exc:
        raise _error(str(path), exc) from None


def save(settings: DeviceSettings, path: str | Path | None = None) -> Path:
    """Write atomically (a crash mid-write never leaves half a file)."""
    path = Path(path) if path else config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(settings.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


def validated(model: type[BaseModel], where: str, **values) -> BaseModel:
    """Build settings from loose values (CLI options) with a field-naming error."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _error(where, exc) from None


_ESCAPES = {"r": "\r", "n": "\n", "t": "\t", "\\": "\\", "0": "\0", "e": "\x1b"}


def unescape_bytes(text: str) -> bytes:
    r"""Like unescape, but \xNN is the byte NN (raw frames: line noise, 0xFF); text is UTF-8."""
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n in _ESCAPES:
                out += _ESCAPES[n].encode()
                i += 2
                continue
            if n == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 2:i + 4]):
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
        out += text[i].encode("utf-8", "surrogatepass")
        i += 1
    return bytes(out)


def unescape(text: str) -> str:
    r"""CLI/dialog spelling of control characters: \r \n \t \e \0 \xNN \\ ."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n in _ESCAPES:
                out.append(_ESCAPES[n])
                i += 2
                continue
            if n == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 2:i + 4]):
                out.append(chr(int(text[i + 2:i + 4], 16)))
                i += 4
                continue
        out.append(c)
        i += 1
    return "".join(out)


def state(path=None) -> dict:
    """The device settings as `doctor` and the app's diagnostics report them."""
    path = path or config_path()
    d: dict[str, Any] = {"config_file": str(path), "config_exists": path.exists()}
    try:
        s = load(path)
    except Exception as exc:  # noqa: BLE001 - DeviceConfigError, or a file that is not JSON
        return d | {"state": "invalid", "error": str(exc)[:300]}
    return d | {"state": "ok" if path.exists() else "defaults", "scanner": s.scanner.mode,
                "card_reader": s.card_reader.mode, "printer": s.printer.backend, "display": s.display.enabled,
                "customer_screen": s.customer_screen.mode}


