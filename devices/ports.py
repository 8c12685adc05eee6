"""The machine's serial ports, for the settings dialog and `devices list`."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from serial.tools import list_ports


@dataclass(frozen=True)
class PortInfo:
    device: str  # what to put in a port setting: /dev/ttyUSB0, COM3
    description: str
    hwid: str
    vid: int | None = None  # USB vendor/product, to recognise a scanner model
    pid: int | None = None
    manufacturer: str | None = None
    product: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def list_serial_ports() -> list[PortInfo]:
    """Every serial port the OS reports, sorted by name. (Pseudo-terminals are not listed.)"""
    found = [PortInfo(p.device, p.description or "", p.hwid or "", p.vid, p.pid, p.manufacturer, p.product)
             for p in list_ports.comports()]
    return sorted(found, key=lambda p: p.device)
