"""The till's background sync with HQ, re-emitted as a Qt signal for the status bar.

`sync.engine.sync_once` (push, pull, push) runs on a worker thread every
`sync.interval_s` seconds (default 30) and at once after each sale (`kick`), so
the checkout never waits on the network. Each round reports one state:

* ``not_configured`` — the till is not enrolled (`python main.py enrol …`);
  until it is, each round looks for the enrolment in the store, so enrolling a
  running till takes effect without a restart;
* ``online`` — the round reached HQ; ``waiting`` = events still pending;
* ``offline`` — HQ could not be reached; the sales stay in the outbox
  (``waiting`` of them) and go up on a later round;
* ``rejected`` — HQ refused events (kept, never re-sent on their own; HQ IT reads
  them with `python main.py sync --status`): ``waiting`` = how many.

The signal crosses from the worker thread to the GUI thread queued, as any Qt
signal emitted off the receiver's thread."""
from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal
from sqlalchemy import select

from pos.store.models import Setting
from sync import engine
from sync.client import HQError, HQUnavailable

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_S = 30.0


class SyncBridge(QObject):
    state = Signal(str, int, str)  # state, events waiting (or rejected), detail for the tooltip

    def __init__(self, db, interval_s: float | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.db = db
        self.interval_s = float(interval_s or db.settings.get("sync.interval_s") or DEFAULT_INTERVAL_S)
        self.last: tuple[str, int, str] = ("not_configured", 0, "")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hq-sync", daemon=True)
            self._thread.start()

    def kick(self) -> None:
        """Sync now (after a sale), not at the end of the interval."""
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        """Finish the round under way (a batch is never left half-recorded) and end."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            got = self.round()
            if self._stop.is_set():
                break
            self.last = got
            try:
                self.state.emit(*got)
            except RuntimeError:  # the window went away without stop(): nobody to tell, end quietly
                break
            self._wake.wait(self.interval_s)

    def _enrolment(self) -> None:
        """Pick up an enrolment made by the CLI while the app runs."""
        if engine.configured(self.db):
            return
        keys = (engine.URL_KEY, engine.TOKEN_KEY, "store_code", "store_name")  # enrolment takes HQ's store code
        with self.db.read() as s:
            for key, value in s.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys))):
                self.db.settings[key] = value

    def round(self) -> tuple[str, int, str]:
        """One sync round; never raises (the till carries on whatever HQ does)."""
        try:
            self._enrolment()
            if not engine.configured(self.db):
                return ("not_configured", 0, "")
            got = engine.sync_once(self.db)
            st = got["status"]
            if st["rejected"]:
                return ("rejected", st["rejected"], "; ".join(
                    f"{e['kind']}: {e['reason']}" for e in st["rejected_events"][:5]))
            return ("online", st["pending"], st.get("last_sync_at") or "")
        except HQUnavailable as exc:
            return ("offline", self._pending(), str(exc))
        except HQError as exc:
            return ("offline", self._pending(), f"{exc.error}: {exc.message}")
        except Exception as exc:  # noqa: BLE001 - a failed round must not end the loop; the next one retries
            log.exception("sync round failed")
            return ("offline", self._pending(), str(exc))

    def _pending(self) -> int:
        try:
            return int(engine.status(self.db)["pending"])
        except Exception:  # noqa: BLE001 - the store itself is closing
            return 0
