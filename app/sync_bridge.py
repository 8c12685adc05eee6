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

Each round is an `app.operations.Operation` (on the `sync` worker); a
timer on the GUI thread starts the next one, never two at once. The state is
emitted on the GUI thread, and the round publishes `sync` (and the pull its
`members`, through `pos.changes`) for the screens that listen."""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from pos.store import settings as store_settings
from sync import engine
from sync.client import HQError, HQUnavailable

from .operations import Changes, Operation

log = logging.getLogger(__name__)


class SyncBridge(QObject):
    state = Signal(str, int, str)  # state, events waiting (or rejected), detail for the tooltip

    def __init__(self, db, interval_s: float | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.db = db
        self.interval_s = float(interval_s or store_settings.SYNC_INTERVAL_S.get(db))
        self.last: tuple[str, int, str] = ("not_configured", 0, "")
        self._timer = QTimer(self)
        self._timer.setInterval(int(self.interval_s * 1000))
        self._timer.timeout.connect(self._round_now)
        self._op: Operation | None = None
        self._again = False  # kicked while a round ran: one more right after it
        self._stopped = False

    def start(self) -> None:
        if not self._timer.isActive():
            self._stopped = False
            self._timer.start()
            self._round_now()

    def kick(self) -> None:
        """Sync now (after a sale), not at the end of the interval."""
        if self._stopped:
            return
        if self._op is not None and self._op.running:
            self._again = True
        else:
            self._round_now()

    def stop(self, timeout: float = 15.0) -> None:
        """Finish the round under way (a batch is never left half-recorded) and end."""
        self._stopped = True
        self._timer.stop()
        if self._op is not None:
            self._op.wait(timeout)

    def _round_now(self) -> None:
        if self._stopped or (self._op is not None and self._op.running):
            return
        self._again = False
        self._timer.start()  # the interval counts from this round
        self._op = Operation(self, self.round, name="hq-sync", pool="sync",
                             changes=Changes.of(sync=True)).success(self._round_done)
        self._op.run_in_background()

    def _round_done(self, got: tuple[str, int, str]) -> None:
        if self._stopped:
            return
        self.last = got
        self.state.emit(*got)
        if self._again:
            self._round_now()

    def _enrolment(self) -> None:
        """Pick up an enrolment made by the CLI while the app runs."""
        if store_settings.enrolled(self.db):
            return
        store_settings.reload(self.db, store_settings.HQ_URL, store_settings.HQ_TOKEN,  # enrolment takes HQ's
                              store_settings.STORE_CODE, store_settings.STORE_NAME)  # store code and name

    def round(self) -> tuple[str, int, str]:
        """One sync round; never raises (the till carries on whatever HQ does)."""
        try:
            self._enrolment()
            if not store_settings.enrolled(self.db):
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
