"""The till's window: sign-in, then the checkout screen; lock, shifts, returns,
member detail, language; the status bar always shows sync, devices, cashier,
store and the TEST CLOCK when it applies."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QMainWindow, QMessageBox, QStackedWidget, QVBoxLayout, QWidget

from devices import config as device_config
from pos.store import settings as store_settings
from pos.services import daily, members, staff
from pos.store.database import Database
from pos.errors import DomainError
from pos.rules.money import yuan
from pos.services.till import Till

from . import i18n, labels
from .checkout_screen import CheckoutScreen
from .customer_display import CustomerDisplay
from .device_bridge import DeviceBridge
from .device_settings import DeviceSettingsDialog
from .dialogs import ManagerDialog, ShiftCloseDialog, TextDialog, manager_refusal, parse_yuan
from .member_detail import MemberDetailDialog
from .operations import Changes, Operation
from .reports_screen import ReportsDialog
from .returns_screen import ReturnsDialog, tender_name
from .signin_screen import SignInScreen
from .arrivals import ArrivalsPoller
from .arrivals import install as install_arrivals
from .parcels_view import install as install_parcels
from .sync_bridge import SyncBridge
from .style import STYLE


TAGS_DELAY_MS = 15_000  # after opening: the daily jobs never slow the first scans


class MainWindow(QMainWindow):
    def __init__(self, db: Database):
        super().__init__()
        self.db = db
        self.who: staff.StaffView | None = None
        self.till: Till | None = None
        self.checkout: CheckoutScreen | None = None
        self.setStyleSheet(STYLE)
        self.resize(1024, 768)
        self.setWindowState(Qt.WindowMaximized)  # a till's screen is the till: fits 1024x768 with a title bar
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.banner = QLabel()
        self.banner.setObjectName("testClockBanner")
        self.banner.setAlignment(Qt.AlignCenter)
        self.banner.setVisible(db.test_clock)
        lay.addWidget(self.banner)
        self.stack = QStackedWidget()
        self.signin = SignInScreen(db)
        self.signin.signed_in.connect(self.on_signed_in)
        self.stack.addWidget(self.signin)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.store_label = QLabel()
        self.cashier_label = QLabel()
        self.device_label = QLabel()
        self.sync_label = QLabel()
        self.sync_label.setObjectName("syncState")
        for w in (self.store_label, self.cashier_label, self.device_label):
            self.statusBar().addWidget(w)
        self.statusBar().addPermanentWidget(self.sync_label)
        self._menu()
        self.device_path = self.db.path.parent / "devices.json"
        try:
            settings = device_config.load(self.device_path)
        except ValueError:  # a broken settings file must not keep the till from opening
            settings = device_config.DeviceSettings()
        self.bridge = DeviceBridge(settings, self, data_dir=self.db.path.parent)
        self.bridge.code.connect(self.on_device_code)
        self.bridge.problem.connect(self.on_device_problem)
        self.bridge.state.connect(self.on_device_state)
        self.bridge.printed.connect(self.on_printed)
        self.bridge.home = self._home_input
        self.sync = SyncBridge(db, parent=self)
        self.sync.state.connect(self.on_sync_state)
        self.arrivals = ArrivalsPoller(db, parent=self)  # door check-ins within seconds (issue 16)
        self.sync.state.connect(self.arrivals.set_sync_state)
        self.sync.state.connect(lambda *_: self.arrivals.sync_done())
        self.arrivals.need_sync.connect(self.sync.kick)
        # the customer screen (issue 16): the join QR while idle, the sale, a thank-you (device setting)
        self.customer = CustomerDisplay(db, lambda: self.till, till_window=self)
        self.retranslate()
        self.signin.reset()
        self.bridge.start()
        self.sync.start()
        self.arrivals.start()
        self.place_customer()
        self.daily_op: Operation | None = None
        self.reports: ReportsDialog | None = None
        QTimer.singleShot(TAGS_DELAY_MS, self.run_daily_jobs)

    def _menu(self) -> None:
        self.lang_action = QAction(self)
        self.lang_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.lang_action.triggered.connect(self.toggle_language)
        self.addAction(self.lang_action)
        self.shift_action = QAction(self)
        self.shift_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.shift_action.triggered.connect(self.close_shift)
        self.addAction(self.shift_action)
        self.devices_action = QAction(self)
        self.devices_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.devices_action.triggered.connect(self.open_devices)
        self.addAction(self.devices_action)
        self.diagnostics_action = QAction(self)
        self.diagnostics_action.setShortcut(QKeySequence("Ctrl+Shift+I"))
        self.diagnostics_action.triggered.connect(self.open_diagnostics)
        self.addAction(self.diagnostics_action)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Member checkout — {0}").format(store_settings.STORE_NAME.get(self.db)))
        now = self.db.clock.local(self.db.clock.now()).strftime("%Y-%m-%d %H:%M")
        self.banner.setText(self.tr("TEST CLOCK: {0} — records made now are marked as test").format(now))
        self.store_label.setText(self.tr("Store {0} · register {1}").format(self.db.store_code, store_settings.REGISTER_NO.get(self.db)))
        self.cashier_label.setText(self.tr("Cashier {0}").format(self.who.code) if self.who else self.tr("Not signed in"))
        self.on_device_state(self.bridge.describe() if hasattr(self, "bridge") else labels.device_kind("off"))
        self.set_sync_state(*self.sync.last)

    def on_sync_state(self, state: str, waiting: int, detail: str) -> None:
        """A background sync round ended (queued here from the sync thread)."""
        self.set_sync_state(state, waiting, detail)

    def set_sync_state(self, state: str, waiting: int = 0, detail: str = "") -> None:
        text = {"not_configured": self.tr("HQ sync: not configured"),
                "online": self.tr("HQ sync: online") if not waiting else
                self.tr("HQ sync: online, {0} event(s) waiting").format(waiting),
                "offline": self.tr("HQ sync: offline, {0} event(s) waiting").format(waiting),
                "rejected": self.tr("HQ sync: {0} event(s) refused by HQ — see sync --status").format(waiting)}[state]
        self.sync_label.setText(text)
        self.sync_label.setToolTip(detail)
        self.sync_label.setProperty("state", state)
        self.sync_label.style().unpolish(self.sync_label)
        self.sync_label.style().polish(self.sync_label)

    # --- devices -----------------------------------------------------------------------------

    def on_device_code(self, code: str) -> None:
        """A serial or keyboard-wedge scan, or a member card: it belongs to what is open.
        An open dialog takes it (Returns loads the scanned receipt); one that has no use
        for a scan says so; only with no dialog open does it reach the checkout's input."""
        from PySide6.QtWidgets import QApplication

        modal = QApplication.activeModalWidget()
        if modal is not None and modal.isVisible():
            take = getattr(modal, "take_scan", None)
            if take is not None:
                take(code)
                return
            field = modal.focusWidget()
            if isinstance(field, QLineEdit) and field.isEnabled() and not field.isReadOnly():
                # a fast typist looks like a scanner: what was "scanned" is typed into the field, Enter included
                field.insert(code)
                QCoreApplication.sendEvent(field, QKeyEvent(QEvent.KeyPress, Qt.Key_Return, Qt.NoModifier, "\r"))
                return
            QApplication.beep()
            said = self.tr("A scan is not taken here: finish or close this window first")
            if hasattr(modal, "fail"):
                modal.fail(said)
            else:
                self.statusBar().showMessage(said, 5000)
            return
        if self.checkout is not None and self.stack.currentWidget() is self.checkout:
            self.checkout.handle_code(code)

    def _home_input(self):
        """Where typing goes when no widget has focus (just after a dialog closed)."""
        if self.checkout is not None and self.stack.currentWidget() is self.checkout:
            return self.checkout.input
        return None

    def on_device_problem(self, kind: str, text: str) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.beep()
        if self.checkout is not None and self.stack.currentWidget() is self.checkout:
            self.checkout.say(text, error=True)
        else:
            self.statusBar().showMessage(text, 5000)

    def on_device_state(self, state: str) -> None:
        self.device_label.setText(self.tr("Devices: {0}").format(state))

    def open_devices(self) -> None:
        DeviceSettingsDialog(self.bridge, self, self.device_path).exec()
        self.place_customer()  # the customer screen as saved: on, off, another monitor
        if self.checkout is not None:
            self.checkout.focus_input()

    def place_customer(self) -> None:
        if self.customer is None:
            return
        problem = self.customer.place(self.bridge.settings.customer_screen)
        if problem:
            self.statusBar().showMessage(problem, 10000)

    def print_receipt(self, sale: dict, reprint: bool = False) -> None:
        self.bridge.print_sale(sale, i18n.current(), reprint=reprint, store_name=store_settings.STORE_NAME.get(self.db),
                               cashier=self.who.code if self.who else "")

    def on_printed(self, message: str, queued: bool) -> None:
        if queued and self.checkout is not None:
            self.checkout.say(message, error=True)
        else:
            self.statusBar().showMessage(message, 4000)

    # --- sign-in, lock, shifts ---------------------------------------------------------------

    def on_signed_in(self, who: staff.StaffView) -> None:
        unlocking = self.signin.locked_for is not None and self.till is not None
        self.signin.locked_for = None
        if not unlocking:
            self.who = who
            if not staff.current_shift(self.db, who.code):
                dlg = TextDialog(self, self.tr("Open shift"), self.tr("Opening cash float in yuan"), "0")
                amount = parse_yuan(dlg.value()) if dlg.exec() else 0
                staff.open_shift(self.db, who.code, amount or 0)
            self.till = Till(self.db, who, lang=i18n.current())
            self._build_checkout()
        self.retranslate()
        self.stack.setCurrentWidget(self.checkout)
        self.checkout.focus_input()

    def _build_checkout(self) -> None:
        if self.checkout is not None:
            self.stack.removeWidget(self.checkout)
            self.checkout.deleteLater()
        self.checkout = CheckoutScreen(self.till)
        self.checkout.lock_requested.connect(self.lock)
        self.checkout.sign_out_requested.connect(self.close_shift)
        self.checkout.returns_requested.connect(self.open_returns)
        self.checkout.reports_requested.connect(self.open_reports)
        self.checkout.detail_requested.connect(self.open_detail)
        self.checkout.customer_display.connect(self.bridge.show_customer)  # e.g. a lottery result
        self.checkout.sale_done.connect(self.print_receipt)
        self.checkout.sale_done.connect(lambda _sale: self.sync.kick())  # the sale goes up at once when HQ is there
        self.checkout.reprint_requested.connect(lambda sale: self.print_receipt(sale, reprint=True))
        self.checkout.sale_done.connect(self.checkout.show_receipt)
        install_arrivals(self.checkout, self.arrivals)  # the arrivals panel and its attach key (Ctrl+G)
        install_parcels(self.checkout)  # the parcels view (issue 18): receive in a row, find, pick up (Ctrl+B)
        self.stack.addWidget(self.checkout)

    def lock(self) -> None:
        if self.who is None:
            return
        self.signin.lock(self.who.code)
        self.stack.setCurrentWidget(self.signin)

    def close_shift(self) -> None:
        if self.who is None:
            return
        shift_id = staff.current_shift(self.db, self.who.code)
        if shift_id is None:
            return
        # a blind count: the cashier types what the drawer holds; expected cash and the
        # variance appear only after the shift is closed on that count (app.dialogs.ShiftCloseDialog)
        dlg = ShiftCloseDialog(self, lambda counted: staff.close_shift(self.db, shift_id, counted))
        dlg.exec()
        if dlg.summary is None:
            return self.checkout.focus_input() if self.checkout is not None else None
        self.who = None
        if self.till:
            self.till.close()
        self.till = None
        self.signin.reset()
        self.retranslate()
        self.stack.setCurrentWidget(self.signin)

    # --- other screens --------------------------------------------------------------------------

    def open_returns(self) -> None:
        if self.till is None:
            return
        self.checkout.settle()
        dlg = ReturnsDialog(self.db, self.who.code if self.who else "", self.till.member_id, self,
                            is_manager=bool(self.who and self.who.is_manager))
        dlg.ask_manager = self._ask_manager
        if dlg.exec() and dlg.result is not None:
            r = dlg.result
            refunds = ", ".join(self.tr("{0} ¥{1}").format(tender_name(p["tender"]), yuan(-p["amount_fen"]))
                                for p in r.sale.payments if p["amount_fen"])
            said = self.tr("Returned: refund ¥{0} ({1}), receipt {2}").format(
                yuan(r.plan.refund_fen), refunds or "-", r.sale.receipt_no)
            if r.plan.coupons_back:
                said += self.tr("; coupon(s) given back to the member's wallet: {0}").format(
                    ", ".join(dlg.coupon_name(c["template"]) for c in r.plan.coupons_back))
            self.checkout.say(said)
            self.print_receipt(r.sale.as_dict())  # the return slip, through the receipt printer
            self.checkout.refresh()
        self.checkout.focus_input()

    def _ask_manager(self, reason: str):
        """(code, PIN) from a manager, or None when cancelled."""
        mgr = ManagerDialog(self, reason)
        if not mgr.exec():
            return None
        return mgr.code.text(), mgr.pin.text()

    def _manager(self, action: str, why: str) -> str | None:
        """The signed-in manager's code, or a manager's who approves `action` here
        (audited); None when nobody did."""
        if self.who.is_manager:
            return self.who.code

        def check(code, pin):
            return staff.approve(self.db, code, pin, action)
        mgr = ManagerDialog(self, why, check)
        if not mgr.exec():
            return None
        try:
            return (mgr.approver or check(mgr.code.text(), mgr.pin.text())).code
        except DomainError as exc:
            self.checkout.say(manager_refusal() if exc.code == "staff.not_manager" else exc.message(i18n.current()),
                              error=True)
            return None

    def open_diagnostics(self) -> None:
        """Ctrl+Shift+I: what `doctor` says, with "copy report" for IT (a manager)."""
        if self.till is None or self.who is None:
            return
        if self._manager("diagnostics", self.tr("Diagnostics are for the store manager.")) is not None:
            from .diagnostics import DiagnosticsDialog

            DiagnosticsDialog(self.db, self).exec()
        self.checkout.focus_input()

    def open_reports(self) -> None:
        """Ctrl+R: the store's reports and segments, for a manager (a cashier's
        till asks for a manager's code and PIN, and the opening is audited)."""
        if self.till is None or self.who is None:
            return
        actor = self._manager("reports", self.tr("Reports are for the store manager."))
        if actor is None:
            return self.checkout.focus_input()
        self.reports = ReportsDialog(self.db, self.till.program, actor, self)
        self.reports.setWindowState(Qt.WindowMaximized)
        self.reports.exec()
        self.reports = None  # win-back coupons or new tags for the member on screen: the panel listens (app.events)
        self.checkout.focus_input()

    def open_detail(self, member_id: str) -> None:
        MemberDetailDialog(self.db, member_id, self.who.code if self.who else "", self).exec()  # its edits publish "members"
        self.checkout.focus_input()

    def toggle_language(self) -> None:
        self.set_language("en" if i18n.current() != "en" else "zh_CN")

    def set_language(self, lang: str) -> None:
        """Switch without a restart: the screens are rebuilt over the same till state."""
        i18n.install(lang)
        if self.till is not None:
            self.till.lang = i18n.current()
            current = self.stack.currentWidget() is self.checkout
            self._build_checkout()
            self.checkout.refresh()
            if current:
                self.stack.setCurrentWidget(self.checkout)
        index = self.stack.indexOf(self.signin)
        locked = self.signin.locked_for
        self.stack.removeWidget(self.signin)
        self.signin.deleteLater()
        self.signin = SignInScreen(self.db)
        self.signin.signed_in.connect(self.on_signed_in)
        self.stack.insertWidget(index, self.signin)
        if locked:
            self.signin.lock(locked)
        self.retranslate()

    def run_daily_jobs(self) -> None:
        """Once a business day, in the background: points expiry and tier reviews
        (standalone tills; HQ runs them for enrolled ones) and the segment tags
        (活跃会员, 沉睡会员 …) — `pos.services.daily`, in short write transactions."""
        if not daily.due(self.db):
            return
        if self.daily_op is not None and self.daily_op.running:
            return
        # a failure is logged (each job is idempotent; the next start runs it again)
        self.daily_op = Operation(self, lambda: daily.run_due(self.db), name="daily-jobs", pool="daily",
                                  changes=Changes.of(members=True, tags=True, reports=True))
        self.daily_op.run_in_background()

    def closeEvent(self, event) -> None:
        if self.customer is not None:  # a window of its own: it goes with the till's
            self.customer.close()
            self.customer.deleteLater()
            self.customer = None
        self.arrivals.stop()
        self.sync.stop()
        if self.daily_op is not None:
            self.daily_op.wait()
        self.bridge.stop()
        if self.till is not None:
            self.till.save()  # the basket survives the restart
            self.till.close()
        super().closeEvent(event)


def member_summary(db, member_id: str) -> members.MemberDetail:
    return members.detail(db, member_id)
