"""The receipt printer: serial, USB, network, a file, or in memory.

A sale is already committed when its receipt prints, so printing never
raises for a printer problem: it returns a PrintOutcome saying what happened,
and a receipt that did not print waits in the reprint queue until
`retry_queued()` (or the cashier's "reprint") succeeds. Before sending, the
printer is asked for its status (DLE EOT 1 / 4); a printer that does not
answer is assumed ready, one that says "offline" or "paper out" gets nothing.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escpos.constants import RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.printer import Dummy, File, Network
from escpos.printer import Serial as EscposSerial

from .config import PrinterSettings, SerialSettings, data_dir
from .escpos_job import job_bytes
from .receipt import Receipt, receipt_from_sale
from .reprint_queue import QUEUE_NAME, Job, ReprintQueue
from .serial_reader import PORT_ERRORS, open_serial, port_error_text

log = logging.getLogger(__name__)
STATUS_WAIT_S = 0.5  # how long a status answer may take before we assume "no answer"

MESSAGES = {  # reason: (Chinese, English) for the cashier
    "printed": ("小票已打印", "Receipt printed"),
    "offline": ("打印机离线，小票已存入重印队列", "Printer offline: receipt kept for reprint"),
    "paper_out": ("打印机缺纸，小票已存入重印队列", "Printer out of paper: receipt kept for reprint"),
    "error": ("打印失败，小票已存入重印队列", "Printing failed: receipt kept for reprint"),
    "disabled": ("未配置打印机", "No receipt printer configured"),
}


@dataclass(frozen=True)
class PrinterStatus:
    online: bool | None  # None: the printer did not answer (or cannot: a file)
    paper: str = "unknown"  # ok | low | out | unknown
    detail: str = ""

    @property
    def ready(self) -> bool:
        return self.online is not False and self.paper != "out"

    def as_dict(self) -> dict[str, Any]:
        return {"online": self.online, "paper": self.paper, "ready": self.ready, "detail": self.detail}


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    reason: str  # printed | offline | paper_out | error | disabled
    receipt_no: str = ""
    job_id: str | None = None  # the reprint queue's job when not printed
    detail: str = ""

    @property
    def queued(self) -> bool:
        return self.job_id is not None

    def message(self, lang: str = "zh_CN") -> str:
        zh, en = MESSAGES[self.reason]
        return en if lang == "en" else zh


class PrinterUnavailable(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


def parse_online(b: int) -> bool:
    return not b & 0x08  # DLE EOT 1, bit 3: offline


def parse_paper(b: int) -> str:
    if b & 0x60 == 0x60:  # DLE EOT 4, bits 5-6: paper end
        return "out"
    if b & 0x0C == 0x0C:  # bits 2-3: paper near end
        return "low"
    return "ok"


class _AppendFile(File):
    """A file backend that appends (a preview file collects every receipt); device files work too."""

    def open(self, raise_not_found: bool = True) -> None:
        try:
            self.device = open(self.devfile, "ab")
        except OSError as exc:
            self.device = None
            raise PrinterUnavailable("offline", f"cannot open {self.devfile}: {exc.strerror or exc}") from None


class _SerialPrinter(EscposSerial):
    """python-escpos' serial printer, opened with all our serial settings (flow control included)."""

    def __init__(self, settings: SerialSettings, timeout: float):
        super().__init__(devfile=settings.port, baudrate=settings.baudrate, timeout=timeout)
        self._settings = settings

    def open(self, raise_not_found: bool = True) -> None:
        try:
            port = open_serial(self._settings, timeout=self.timeout)
            port.write_timeout = self.timeout  # a stalled printer must not hang the till
            self.device = port
        except PORT_ERRORS as exc:
            self.device = None
            raise PrinterUnavailable("offline", f"{self._settings.port}: {port_error_text(exc)}") from None


class ReceiptPrinter:
    """One configured printer and its reprint queue; thread-safe."""

    status_wait_s = STATUS_WAIT_S

    def __init__(self, settings: PrinterSettings, queue: ReprintQueue | None = None):
        self.settings = settings
        self.queue = queue if queue is not None else ReprintQueue(data_dir() / QUEUE_NAME)
        self.memory = Dummy()  # the "dummy" backend's output, for tests and the settings dialog
        self._lock = threading.Lock()

    # --- building ---------------------------------------------------------------

    def receipt(self, sale: Any, **extras) -> Receipt:
        """A receipt for a SaleResult (or its dict) with this shop's header, footer and link."""
        s = self.settings
        extras.setdefault("store_name", s.store_name)
        extras.setdefault("header", s.header)
        extras.setdefault("footer", s.footer)
        extras.setdefault("join_url", s.join_url)
        extras.setdefault("lang", s.lang)
        return receipt_from_sale(sale, **extras)

    def job(self, receipt: Receipt) -> bytes:
        pin = self.settings.drawer_pin if receipt.cash_tendered and not receipt.reprint else None
        return job_bytes(receipt, self.settings.width_mm, drawer_pin=pin, cut=self.settings.cut)

    # --- printing ---------------------------------------------------------------

    def print_sale(self, sale: Any, **extras) -> PrintOutcome:
        return self.print_receipt(self.receipt(sale, **extras))

    def reprint(self, sale: Any, **extras) -> PrintOutcome:
        """Reprint from history (marked as a reprint; the drawer stays shut)."""
        return self.print_receipt(self.receipt(sale, reprint=True, **extras))

    def print_receipt(self, receipt: Receipt) -> PrintOutcome:
        try:
            self._send(self.job(receipt))
        except PrinterUnavailable as exc:
            return self._queued(receipt, exc.reason, exc.detail)
        except Exception as exc:  # noqa: BLE001 - whatever breaks, the receipt is kept
            log.exception("receipt %s: printing failed", receipt.receipt_no)
            return self._queued(receipt, "error", type(exc).__name__)
        return PrintOutcome(True, "printed", receipt.receipt_no)

    def _queued(self, receipt: Receipt, reason: str, detail: str) -> PrintOutcome:
        if reason == "disabled":
            return PrintOutcome(False, reason, receipt.receipt_no, None, detail)
        try:
            job = self.queue.add(receipt, reason)
        except OSError as exc:  # the sale is in the store's history still: reprint from there
            log.error("receipt %s not printed (%s) and the reprint queue is unwritable: %s",
                      receipt.receipt_no, reason, exc.strerror or exc)
            return PrintOutcome(False, reason, receipt.receipt_no, None, f"{detail}; reprint queue unwritable")
        log.warning("receipt %s not printed (%s: %s); kept as reprint job %s", receipt.receipt_no, reason, detail, job.id)
        return PrintOutcome(False, reason, receipt.receipt_no, job.id, detail)

    def retry_queued(self) -> list[PrintOutcome]:
        """Print what the queue holds, oldest first; stop at the first failure (the printer is still down)."""
        done = []
        for job in self.queue.pending():
            outcome = self._retry(job)
            done.append(outcome)
            if not outcome.printed and outcome.queued:
                break
        return done

    def _retry(self, job: Job) -> PrintOutcome:
        try:
            receipt = job.as_receipt()
        except ValueError:  # a damaged entry must not block the queue; the sale is still in history
            log.error("reprint job %s is unreadable; dropped (reprint receipt %s from history)", job.id, job.receipt_no)
            self.queue.remove(job.id)
            return PrintOutcome(False, "error", job.receipt_no, None, "unreadable reprint job")
        try:
            self._send(self.job(receipt))
        except PrinterUnavailable as exc:
            self.queue.failed_again(job.id, exc.reason)
            return PrintOutcome(False, exc.reason, job.receipt_no, job.id, exc.detail)
        except Exception as exc:  # noqa: BLE001
            self.queue.failed_again(job.id, "error")
            return PrintOutcome(False, "error", job.receipt_no, job.id, type(exc).__name__)
        self.queue.remove(job.id)
        return PrintOutcome(True, "printed", job.receipt_no)

    def test_page(self) -> PrintOutcome:
        sale = {"receipt_no": "TEST-0001", "kind": "sale", "lines": [
            {"code": "6901234567892", "name": "测试商品 Test item", "qty": 1, "unit_fen": 100, "net_fen": 100}],
            "totals": {"gross_fen": 100, "discount_fen": 0, "net_fen": 100, "paid_fen": 100, "change_fen": 0},
            "payments": [{"tender": "wechat", "amount_fen": 100}], "points": {}, "member": None}
        try:
            self._send(self.job(self.receipt(sale)))
        except PrinterUnavailable as exc:
            return PrintOutcome(False, exc.reason, "TEST-0001", None, exc.detail)
        return PrintOutcome(True, "printed", "TEST-0001")

    # --- the device -------------------------------------------------------------

    def status(self) -> PrinterStatus:
        """Ask the printer now (the app polls this for its status light)."""
        with self._lock:
            try:
                p = self._backend()
            except PrinterUnavailable as exc:
                return PrinterStatus(False, "unknown", exc.reason)
            try:
                self._open(p)
                return self._query(p)
            except PrinterUnavailable as exc:
                return PrinterStatus(False, "unknown", exc.detail or exc.reason)
            finally:
                self._close(p)

    def _send(self, data: bytes) -> None:
        with self._lock:
            p = self._backend()
            try:
                self._open(p)
                st = self._query(p) if self.settings.check_status else PrinterStatus(None)
                if st.online is False:
                    raise PrinterUnavailable("offline", "the printer reports offline (cover open?)")
                if st.paper == "out":
                    raise PrinterUnavailable("paper_out", "the printer reports no paper")
                try:
                    p._raw(data)
                    if hasattr(p, "flush"):
                        p.flush()
                except (OSError, PORT_ERRORS) as exc:
                    raise PrinterUnavailable("offline", port_error_text(exc)) from None
            finally:
                self._close(p)

    def _backend(self):
        s = self.settings
        if s.backend == "none":
            raise PrinterUnavailable("disabled")
        if s.backend == "dummy":
            return self.memory
        if s.backend == "file":
            if not s.path:
                raise PrinterUnavailable("offline", "printer.path is empty")
            return _AppendFile(devfile=os.fspath(Path(s.path).expanduser()), auto_flush=False)
        if s.backend == "serial":
            return _SerialPrinter(s.serial, s.timeout_s)
        if s.backend == "network":
            if not s.host:
                raise PrinterUnavailable("offline", "printer.host is empty")
            return Network(host=s.host, port=s.port, timeout=s.timeout_s)
        if s.backend == "usb":
            from escpos.printer import Usb

            if not Usb.is_usable():
                raise PrinterUnavailable("offline", "USB printing needs pyusb (pip install pyusb)")
            return Usb(idVendor=s.usb_vendor, idProduct=s.usb_product, timeout=int(s.timeout_s * 1000))
        raise PrinterUnavailable("offline", f"unknown backend {s.backend!r}")

    def _open(self, p) -> None:
        if p is self.memory:
            return
        try:
            p.open()
        except PrinterUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - escpos' DeviceNotFoundError, socket errors, USB errors
            raise PrinterUnavailable("offline", str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        if not p.device:
            raise PrinterUnavailable("offline", "the printer could not be opened")

    def _close(self, p) -> None:
        if p is self.memory:
            return
        try:
            p.close()
        except Exception:  # noqa: BLE001 - closing a dead device may fail too
            pass

    def _query(self, p) -> PrinterStatus:
        if p is self.memory:
            return PrinterStatus(True, "ok")
        if isinstance(p, File):
            return PrinterStatus(None, "unknown", "a file cannot report status")
        online = self._ask(p, RT_STATUS_ONLINE)
        if online is None:
            return PrinterStatus(None, "unknown", "no status answer")
        paper = self._ask(p, RT_STATUS_PAPER)
        return PrinterStatus(parse_online(online), parse_paper(paper) if paper is not None else "unknown")

    def _ask(self, p, query: bytes) -> int | None:
        """One status byte, or None when the printer does not answer in time."""
        dev = p.device
        try:
            if isinstance(p, EscposSerial):
                dev.reset_input_buffer()
                dev.timeout = min(self.settings.timeout_s, self.status_wait_s)
                dev.write(query)
                answer = dev.read(1)
            elif isinstance(p, Network):
                dev.settimeout(min(self.settings.timeout_s, self.status_wait_s))
                dev.sendall(query)
                answer = dev.recv(1)
                dev.settimeout(self.settings.timeout_s)
            else:
                p._raw(query)
                answer = p._read()
        except socket.timeout:
            return None
        except (OSError, *PORT_ERRORS) as exc:
            raise PrinterUnavailable("offline", port_error_text(exc)) from None
        except Exception:  # noqa: BLE001 - a backend that cannot read (NotImplementedError, USB quirks)
            return None
        return answer[0] if answer else None
