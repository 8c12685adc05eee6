"""Devices built from the saved settings: what the app starts at sign-in.

The app calls these once and bridges `on_event` to a Qt signal (the callback
runs on the reader's worker thread). Keeping the wiring here means the CLI,
the app and tests assemble devices the same way.
"""
from __future__ import annotations

from typing import Callable

from pos.rules.barcodes import Nomenclature

from .config import DeviceSettings
from .decoder import Decoder
from .display import PoleDisplay
from .events import Event
from .msr import MsrSettings
from .printer import ReceiptPrinter
from .serial_reader import SerialReader
from .wedge import WedgeConfig, WedgeDetector


def msr_settings(settings: DeviceSettings) -> MsrSettings:
    m = settings.card_reader.msr
    return MsrSettings(m.lrc, m.member_pattern)


def serial_readers(settings: DeviceSettings, on_event: Callable[[Event], None],
                   nomenclature: Nomenclature | None = None) -> list[SerialReader]:
    """The serial scanner and/or card reader (not started); none when they are wedges or off."""
    readers = []
    msr = msr_settings(settings)
    for kind, dev in (("scanner", settings.scanner), ("card", settings.card_reader)):
        if dev.mode == "serial" and dev.serial.port:
            readers.append(SerialReader(dev.serial, Decoder(kind, nomenclature, msr), on_event))
    return readers


def wedge(settings: DeviceSettings, nomenclature: Nomenclature | None = None) -> tuple[WedgeDetector, Decoder] | None:
    """The keyboard-wedge detector and the decoder for its completed scans (swipes included),
    or None when neither the scanner nor the card reader is a wedge."""
    if "wedge" not in (settings.scanner.mode, settings.card_reader.mode):
        return None
    return (WedgeDetector(WedgeConfig.from_settings(settings.scanner.wedge)),
            Decoder("scanner", nomenclature, msr_settings(settings), source="wedge"))


def printer(settings: DeviceSettings) -> ReceiptPrinter:
    return ReceiptPrinter(settings.printer)


def display(settings: DeviceSettings) -> PoleDisplay:
    return PoleDisplay(settings.display)
